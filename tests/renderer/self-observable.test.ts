// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { testStores } from './stores';

const { device } = testStores('self-observable', 0x5e1f);

/**
 * The device's own settings are observable (renderer/data/self.ts reads them with useSyncExternalStore):
 * each change tells the listeners and gives a new snapshot, and the snapshot holds what `self` says.
 */
describe("the device's own settings", () => {
  it('tell their listeners, with a new snapshot, when the device sets up, joins and chooses a hub', async () => {
    const a = await device();
    const b = await device();
    const seen: (string | null)[] = [];
    const snapshots = [b.selfSnapshot];
    const stop = b.onSelfChanged(() => {
      seen.push(b.selfSnapshot.row?.hubId ?? null);
      snapshots.push(b.selfSnapshot);
    });
    expect(b.selfSnapshot.row).toBeNull();
    expect(b.selfSnapshot).toBe(b.selfSnapshot);

    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    expect(seen).toEqual([]);
    await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Church laptop' });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.at(-1)).toBeNull();
    expect(b.selfSnapshot.row).toBe(b.self);
    const joined = seen.length;

    await b.chooseHub({ newHubName: 'Westside Church' });
    expect(seen.length).toBeGreaterThan(joined);
    expect(seen.at(-1)).toBe(b.self!.hubId);
    expect(b.selfSnapshot.row?.hubId).toBe(b.self!.hubId);
    // Every change is a new snapshot, so React re-renders; between changes it stays the same object.
    expect(new Set(snapshots).size).toBe(snapshots.length);

    stop();
    const c = await device();
    let calls = 0;
    c.onSelfChanged(() => calls++)();
    await c.createNetwork({ hubName: 'Northside', deviceName: 'Kiosk' });
    expect(calls).toBe(0);
    expect(c.selfSnapshot.row?.deviceName).toBe('Kiosk');
  });
});
