import { useLiveQuery } from 'dexie-react-hooks';
import type { MemberRow } from '../storage/db';
import type { StoreHost } from '../storage/host';
import { useStore } from '../app/StoreContext';
import { READS_FORM, STORED_FORM } from '../../shared/entryForms';
import { useSelf } from './self';

/** A device as the Members screen shows it: the member list joined with what this device has seen of it. */
export interface MemberView extends MemberRow {
  hubName: string | null;
  approvedByName: string | null;
  /** Entries of this device that this device has verified (its signed history so far). */
  entriesSeen: number;
  /** Entries held apart: waiting for a signature or for approval. */
  held: number;
  lastEntryAt: number | null;
  /**
   * Its record says it reads an older entry form than this device's Larder (shared/entryForms.ts), or says
   * nothing (a Larder from before the forms were said): while it counts, every device writes that older form.
   */
  readsOlder: boolean;
}

/** Every device of the network, live. */
export function useMembers(): MemberView[] | undefined {
  const store = useStore();
  return useLiveQuery(() => readMembers(store), []);
}

/** Every device of the network as the Members screen shows it, sorted by name. */
export async function readMembers(store: StoreHost): Promise<MemberView[]> {
  const [rows, hubs, gates, devices] = await Promise.all([
    store.db.members.toArray(),
    store.db.hubs.toArray(),
    store.db.gate.toArray(),
    store.db.devices.toArray(),
  ]);
  const reads = new Map(devices.map((d) => [d.id, d.reads ?? STORED_FORM]));
  const hubName = new Map(hubs.map((h) => [h.id, h.name]));
  const names = new Map(rows.map((r) => [r.device, r.name]));
  const gate = new Map(gates.map((g) => [g.device, g]));
  // Not for the first view (the Shell reads this module for its badge): unpacking blocks loads later.
  const { getLedgerRows } = await import('../storage/ledgerRows');
  const last = await getLedgerRows(
    store.db,
    rows.map((r) => `${r.device}.${gate.get(r.device)?.chain.seq ?? 0}`),
  );
  return rows
    .map((r, i) => {
      const g = gate.get(r.device);
      return {
        ...r,
        hubName: r.hub ? (hubName.get(r.hub) ?? r.requestedHubName ?? null) : null,
        approvedByName: r.approvedBy ? (names.get(r.approvedBy) ?? null) : null,
        entriesSeen: g?.chain.seq ?? 0,
        held: (g?.held.length ?? 0) + (g?.waiting ?? 0),
        lastEntryAt: last[i]?.recordedAt ?? null,
        readsOlder: (reads.get(r.device) ?? STORED_FORM) < READS_FORM,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export type MyStatus = 'admin' | 'member' | 'waiting' | 'revoked' | 'unsigned';

/** This device's place in the member list, live. */
export function useMyStatus(): MyStatus | undefined {
  const store = useStore();
  const self = useSelf();
  return useLiveQuery(async () => {
    // Read when the query runs: an upgrade to signed entries changes the device's own row under it.
    const row0 = await store.db.meta.get('self');
    const self = row0?.key === 'self' ? row0 : null;
    if (!self?.chain) return 'unsigned';
    const row = await store.db.members.get(self.deviceId);
    if (!row || row.status === 'requested') return 'waiting';
    if (row.status === 'revoked') return 'revoked';
    return row.role === 'admin' ? 'admin' : 'member';
  }, [self?.deviceId, self?.chain ? 1 : 0]);
}
