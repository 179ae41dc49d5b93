import Dexie from 'dexie';
import { appendAll } from '../../shared/arrays';
import type { Entry } from '../../shared/entries';
import type { DeviceGate, GateResult } from '../../shared/trust/gate';
import type { GatePendingRow, GateRow, LarderDB } from './db';

/**
 * The gate's device states on disk (db.ts `GateRow`): each device's row, and its candidates beyond the
 * verified chain in parts of their own. A piece of a long history adds a part; the parts are written again
 * only when the candidates change otherwise (the chain took some, some were set aside).
 */

/** Candidates per part when they are written again. */
export const PART_ENTRIES = 16_384;

/** A device's state as its row stores it, its `parts` candidates' rows apart. */
export function gateRowOf(d: DeviceGate, parts: number): GateRow {
  const { pending, ...rest } = d;
  return { ...rest, waiting: pending.length, parts };
}

/** Every device's state, its candidates read back from their parts; and how many parts each has. */
export async function readGates(db: LarderDB): Promise<{ gates: DeviceGate[]; parts: Map<string, number> }> {
  const [rows, pendingRows] = await Promise.all([db.gate.toArray(), db.gatePending.toArray()]);
  // In key order: by device, then part.
  const pending = new Map<string, Entry[]>();
  for (const row of pendingRows) {
    const list = pending.get(row.device);
    if (list) appendAll(list, row.entries);
    else pending.set(row.device, [...row.entries]);
  }
  const gates = rows.map(({ waiting: _waiting, parts: _parts, ...rest }) => ({
    ...rest,
    pending: pending.get(rest.device) ?? [],
  }));
  return { gates, parts: new Map(rows.map((r) => [r.device, r.parts])) };
}

/**
 * Writes the device states a gate step changed (in the caller's transaction, which holds `db.gateTables`):
 * what only grew gets a part with what it gained; the rest is written again. `parts` is how many parts each
 * device has on disk now (`fresh`: none are to be kept). Returns how many each has then, for the caller to
 * keep once the transaction commits.
 */
export async function writeGates(
  db: LarderDB,
  result: GateResult,
  parts: ReadonlyMap<string, number>,
  fresh: boolean,
): Promise<Map<string, number>> {
  const after = new Map<string, number>();
  const rows: GateRow[] = [];
  const added: GatePendingRow[] = [];
  for (const [device, d] of result.devices) {
    const had = fresh ? undefined : result.kept.get(device);
    let count = parts.get(device) ?? 0;
    if (had !== undefined) {
      if (d.pending.length > had) added.push({ device, part: count++, entries: d.pending.slice(had) });
    } else {
      await db.gatePending
        .where('[device+part]')
        .between([device, Dexie.minKey], [device, Dexie.maxKey])
        .delete();
      count = 0;
      for (let from = 0; from < d.pending.length; from += PART_ENTRIES)
        added.push({ device, part: count++, entries: d.pending.slice(from, from + PART_ENTRIES) });
    }
    rows.push(gateRowOf(d, count));
    after.set(device, count);
  }
  if (rows.length > 0) await db.gate.bulkPut(rows);
  if (added.length > 0) await db.gatePending.bulkPut(added);
  return after;
}
