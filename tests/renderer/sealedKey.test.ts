// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { LarderDB, type SelfRow } from '../../renderer/storage/db';
import { LarderStore, type StoreDeps } from '../../renderer/storage/store';
import type { SecretBox } from '../../renderer/platform/secrets';
import { parseInvite } from '../../shared/sync/invite';
import { toBase64Url } from '../../shared/sync/encoding';
import { FakeClock, Prng, START } from './replicas';

/**
 * In the desktop app the network key at rest is sealed with the computer's keychain: the device's row in
 * IndexedDB never holds it in the clear, and a copy of the profile opened elsewhere does not give it.
 */
let opened: LarderStore[] = [];
let n = 0;
const clock = new FakeClock(START);
const rng = new Prng(23);

/** A keychain that seals by reversing and tagging (what matters: the stored row differs from the key). */
function keychain(): SecretBox & { sealed: number } {
  const box = {
    sealed: 0,
    seal: async (text: string) => {
      box.sealed += 1;
      return btoa(`kc|${[...text].reverse().join('')}`);
    },
    open: async (sealed: string) => {
      const text = atob(sealed);
      if (!text.startsWith('kc|')) throw new Error('not ours');
      return [...text.slice(3)].reverse().join('');
    },
  };
  return box;
}

async function open(name: string, secrets: SecretBox | null): Promise<LarderStore> {
  const random = rng.fork();
  const deps: StoreDeps = { now: clock.now, randomBytes: (k) => random.bytes(k) };
  const store = await LarderStore.open(new LarderDB(name), deps, secrets);
  await store.ready;
  opened.push(store);
  return store;
}

afterEach(() => {
  for (const s of opened) s.close();
  opened = [];
});

const storedSelf = async (store: LarderStore) => (await store.db.meta.get('self')) as SelfRow;

describe('the network key at rest', () => {
  it('is sealed in IndexedDB, opens again after a restart, and every save keeps it sealed', async () => {
    const name = `larder-sealed-${process.pid}-${++n}`;
    const box = keychain();
    const a = await open(name, box);
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const key = a.self!.networkKey;
    const rice = await a.saveItem({
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      packSize: '',
      barcodes: '',
    });
    await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '5' }] });
    const row = await storedSelf(a);
    expect(row.networkKey.startsWith('sealed:')).toBe(true);
    expect(JSON.stringify(row)).not.toContain(key);
    expect(box.sealed).toBe(1);
    a.close();
    opened = [];

    const again = await open(name, box);
    expect(again.self!.networkKey).toBe(key);
    const invite = parseInvite(await again.inviteCode());
    expect(invite.ok && toBase64Url(invite.invite.key)).toBe(key);
    await again.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
    expect((await storedSelf(again)).networkKey).toBe(row.networkKey);
  });

  it('a copy of the profile opened without the keychain says what to do', async () => {
    const name = `larder-sealed-${process.pid}-${++n}`;
    const a = await open(name, keychain());
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    a.close();
    opened = [];
    await expect(
      LarderStore.open(new LarderDB(name), { now: clock.now, randomBytes: (k) => rng.bytes(k) }),
    ).rejects.toThrow(/sealed with the desktop app’s keychain/);
  });

  it('a key kept in the clear (a browser, or an older version) is sealed at the next start where it can be', async () => {
    const name = `larder-sealed-${process.pid}-${++n}`;
    const a = await open(name, null);
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const key = a.self!.networkKey;
    expect((await storedSelf(a)).networkKey).toBe(key);
    a.close();
    opened = [];
    const again = await open(name, keychain());
    expect(again.self!.networkKey).toBe(key);
    expect((await storedSelf(again)).networkKey.startsWith('sealed:')).toBe(true);
  });

  it('a rotated key is sealed too, and the key before it', async () => {
    const name = `larder-sealed-${process.pid}-${++n}`;
    const a = await open(name, keychain());
    await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const b = await open(`larder-sealed-${process.pid}-${++n}`, null);
    await b.joinNetwork({ invite: await a.preApprovedInvite('hub'), deviceName: 'Lost laptop' });
    const { persistence } = b;
    const { encodeStateAsUpdate, encodeStateVector } = await import('yjs');
    await a.applyRemoteUpdate(
      encodeStateAsUpdate(persistence.doc, encodeStateVector(a.persistence.doc)),
      'peer',
    );
    await a.revokeDevice(b.self!.deviceId);
    const row = await storedSelf(a);
    expect(row.networkKey.startsWith('sealed:')).toBe(true);
    expect(row.previousKey?.startsWith('sealed:')).toBe(true);
    expect(JSON.stringify(row)).not.toContain(a.self!.networkKey);
    expect(JSON.stringify(row)).not.toContain(a.self!.previousKey!);
    // The keys held before rotations, kept to wait in their rooms for devices that were away.
    expect(row.pastKeys?.map((p) => p.epoch)).toEqual([0]);
    for (const past of row.pastKeys ?? []) expect(past.key.startsWith('sealed:')).toBe(true);
    const pastKey = a.self!.pastKeys![0]!.key;
    expect(pastKey).toBe(a.self!.previousKey);
    a.close();
    opened = [];
    const again = await open(name, keychain());
    expect(again.self!.pastKeys?.[0]?.key).toBe(pastKey);
    expect(again.catchUpRooms().map((r) => toBase64Url(r.key))).toEqual([pastKey]);
  });
});
