import type * as Y from 'yjs';
import type { Item } from '../shared/catalog';
import { devicesOf, itemsOf, ledgersOf, readItem } from '../shared/doc';
import { DONATION_SOURCES, ownEffect, type Entry } from '../shared/entries';
import { entryId } from '../shared/ids';
import { prng, START, type GeneratedNetwork } from './generate';

/**
 * What `npm run bench:compare` gives all three systems alike (pure: shared/ and yjs only, so the Node
 * runner and the compare page derive the same entries from the same generated network).
 */

/** One day of the whole network: ~150 lines a day (20 hubs); the two hubs of the sync share it. */
export const DAY_LINES = 150;

export interface Side {
  hub: string;
  device: string;
  /** The seq this device's next entry gets. */
  nextSeq: number;
}

/**
 * The two hubs that sync a day of difference: A records it on the second device of the bench's own hub
 * (the first device, the bench's own, records the timed pickups: their seqs never meet), B on the first
 * device of another hub. Next seqs come from the lengths of their ledgers.
 */
export function hubPair(net: GeneratedNetwork): { a: Side; b: Side } {
  let a: Side | null = null;
  let b: Side | null = null;
  devicesOf(net.doc).forEach((info, device) => {
    const hub = (info as { hub: string }).hub;
    const side = { hub, device, nextSeq: (ledgersOf(net.doc).get(device)?.length ?? 0) + 1 };
    if (!a && hub === net.self.hubId && device !== net.self.deviceId) a = side;
    if (!b && hub !== net.self.hubId) b = side;
  });
  if (!a || !b) throw new Error('the generated network needs two hubs, the first with two devices');
  return { a, b };
}

/** The catalog in the doc, as the domain reads it. */
export function itemsIn(doc: Y.Doc): Map<string, Item> {
  const items = new Map<string, Item>();
  for (const id of itemsOf(doc).keys()) {
    const r = readItem(doc, id);
    if (r.ok) items.set(id, r.item);
  }
  return items;
}

/**
 * `count` entries one device records on the day after the generated year: donations and pickups of one
 * to three lines (a form's lines share their time), from a seed, so every system gets the same ones.
 */
export function dayOfEntries(side: Side, itemIds: readonly string[], count: number, seed: string): Entry[] {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  const r = prng(h >>> 0);
  const dayStart = START + 365 * 86_400_000 + 8 * 3_600_000;
  const entries: Entry[] = [];
  let seq = side.nextSeq;
  while (entries.length < count) {
    const lines = Math.min(count - entries.length, 1 + Math.floor(r() * 3));
    const at = Math.floor((dayStart + (entries.length / count) * 10 * 3_600_000) / 1000) * 1000;
    const donation = r() < 0.5;
    const first = seq;
    const used = new Set<string>();
    for (let i = 0; i < lines; i++) {
      let item = itemIds[Math.floor(r() * itemIds.length)]!;
      while (used.has(item)) item = itemIds[Math.floor(r() * itemIds.length)]!;
      used.add(item);
      const base = {
        hub: side.hub,
        device: side.device,
        seq,
        item,
        at,
        recordedAt: at,
        ...(i > 0 ? { group: first } : {}),
      };
      entries.push(
        donation
          ? {
              kind: 'donation',
              ...base,
              qty: 1 + Math.floor(r() * 12),
              source: DONATION_SOURCES[Math.floor(r() * DONATION_SOURCES.length)]!,
            }
          : { kind: 'pickup', ...base, qty: 1 + Math.floor(r() * 4) },
      );
      seq += 1;
    }
  }
  return entries;
}

/** The document a PouchDB-based app keeps for one ledger entry (the entry's own fields, and its id). */
export const pouchEntryDoc = (entry: Entry) => ({
  _id: entryId(entry.device, entry.seq),
  type: 'entry',
  ...entry,
});

/** On-hand per item at `hub`: the plain sum of the entries' own effects (what the map function emits). */
export function foldStock(entries: Iterable<Entry>, hub: string): Map<string, number> {
  const stock = new Map<string, number>();
  for (const e of entries) if (e.hub === hub) stock.set(e.item, (stock.get(e.item) ?? 0) + ownEffect(e));
  return stock;
}
