import * as Y from 'yjs';
import { DEFAULT_CATEGORIES, type Item } from '../shared/catalog';
import {
  appendEntries,
  devicesOf,
  hubsOf,
  itemsOf,
  levelsKey,
  levelsOf,
  networkOf,
  type DeviceInfo,
  type HubInfo,
} from '../shared/doc';
import {
  DISCARD_REASONS,
  DONATION_SOURCES,
  idOf,
  ownEffect,
  type Count,
  type Discard,
  type Donation,
  type Entry,
  type Pickup,
} from '../shared/entries';
import { randomId } from '../shared/ids';
import { stockKey } from '../shared/projection';

/**
 * A deterministic network for the benchmarks, built the way devices really build it: every device has
 * its own Y.Doc (its own Yjs client id) and appends its own entries, built as domain `Entry` objects, with
 * `appendEntries` in chunks; the network's doc is what you get when all of them have synced.
 *
 * Pure (shared/ and yjs only), so the Node runner and the browser bench page build the same doc from one seed.
 */

export const HUBS = 20;
export const DEVICES_PER_HUB = 2;
export const ITEMS = 500;
export const CHUNK = 1_000;
/** The year the ledger spans. */
export const START = Date.UTC(2025, 0, 1);
const YEAR_MS = 365 * 86_400_000;
const DAY_MS = 86_400_000;

/** The start of a year of history that ends at midnight (UTC) today: `generateNetwork`'s `start`. */
export function yearEndingToday(now = Date.now()): number {
  return Math.floor(now / DAY_MS) * DAY_MS - YEAR_MS;
}

/**
 * The network `npm run bench` measures (its Node rows and its browser pages alike): a year that ends today,
 * as a hub's device has it (days of cover read the last two weeks), with transfers between hubs.
 */
export function appBenchNetwork(n: number): GeneratedNetwork {
  return generateNetwork(n, undefined, { start: yearEndingToday(), transfers: true });
}

const deviceName = (hub: number, device: number) =>
  `Hub ${hub + 1} ${device === 0 ? 'front desk' : 'store room'}`;

/** Small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashSeed(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const BASES: readonly (readonly [name: string, category: string, unit: string, packSize?: number])[] = [
  ['Rice', 'Food', 'bag'],
  ['Pasta', 'Food', 'pack', 6],
  ['Canned beans', 'Food', 'tin', 4],
  ['Chopped tomatoes', 'Food', 'tin', 4],
  ['Porridge oats', 'Food', 'bag'],
  ['Red lentils', 'Food', 'bag'],
  ['Tuna', 'Food', 'tin', 3],
  ['Peanut butter', 'Food', 'jar'],
  ['Plain flour', 'Food', 'bag'],
  ['Sugar', 'Food', 'bag'],
  ['Sunflower oil', 'Food', 'bottle'],
  ['Breakfast cereal', 'Food', 'box'],
  ['Tomato soup', 'Food', 'tin', 4],
  ['UHT milk', 'Food', 'carton', 6],
  ['Tea bags', 'Food', 'box'],
  ['Instant coffee', 'Food', 'jar'],
  ['Biscuits', 'Food', 'pack'],
  ['Chickpeas', 'Food', 'tin', 4],
  ['Sweetcorn', 'Food', 'tin', 3],
  ['Jam', 'Food', 'jar'],
  ['Tinned fruit', 'Food', 'tin'],
  ['Custard', 'Food', 'carton'],
  ['Noodles', 'Food', 'pack', 5],
  ['Pasta sauce', 'Food', 'jar'],
  ['Baked beans', 'Food', 'tin', 4],
  ['Baby formula', 'Baby', 'tin'],
  ['Nappies size 3', 'Baby', 'pack'],
  ['Nappies size 5', 'Baby', 'pack'],
  ['Baby wipes', 'Baby', 'pack', 3],
  ['Baby food pouches', 'Baby', 'pouch', 4],
  ['Toothpaste', 'Hygiene', 'tube'],
  ['Toothbrushes', 'Hygiene', 'pack', 2],
  ['Shampoo', 'Hygiene', 'bottle'],
  ['Shower gel', 'Hygiene', 'bottle'],
  ['Soap', 'Hygiene', 'bar', 4],
  ['Deodorant', 'Hygiene', 'can'],
  ['Sanitary pads', 'Hygiene', 'pack'],
  ['Tampons', 'Hygiene', 'box'],
  ['Razors', 'Hygiene', 'pack'],
  ['Toilet roll', 'Household', 'roll', 9],
  ['Washing-up liquid', 'Household', 'bottle'],
  ['Laundry detergent', 'Household', 'box'],
  ['Bin bags', 'Household', 'roll'],
  ['Kitchen roll', 'Household', 'roll', 2],
  ['Paracetamol', 'Medical', 'pack'],
  ['Plasters', 'Medical', 'box'],
  ['Hand sanitiser', 'Medical', 'bottle'],
  ['Face masks', 'Medical', 'box'],
  ['Pet food', 'Other', 'tin', 6],
  ['Batteries AA', 'Other', 'pack'],
];
const BRANDS = [
  'Harvest',
  'Northfield',
  'Good Day',
  'Value',
  'Sunny',
  'Green Vale',
  'Hearth',
  'Riverside',
  'Oakleaf',
  'Meadow',
];
const NOTES = [
  'From the school food drive',
  'Left at the door overnight',
  'Church collection',
  'Supermarket surplus',
  'Dented tins',
  'Recorded from the paper sheet',
  'Family of five',
  'Delivered to a neighbour',
];

export interface GeneratedNetwork {
  doc: Y.Doc;
  entries: number;
  networkId: string;
  /** The network's 32-byte secret key. */
  networkKey: Uint8Array;
  /** The device the bench pretends to be: the first device of the first hub. */
  self: { hubId: string; deviceId: string; deviceName: string; nextSeq: number };
  /** An item of the catalog with stock at the self hub (for the pickup timing). */
  pickupItem: string;
  mix: Record<BenchKind, number>;
  /** Transfer entries (sends and receipts between hubs; none unless asked for) and transfers still in transit. */
  transfers: { entries: number; inTransit: number };
  /** Entries with extras (expiry, note, group, packs, below-zero): the ones that cost more bytes. */
  withExtras: number;
  hubs: number;
  devices: number;
  items: number;
}

/** The kinds of entry a single hub records (transfers between hubs are not part of this mix). */
export type BenchKind = 'donation' | 'pickup' | 'count' | 'discard' | 'reversal';

interface Form {
  kind: BenchKind;
  weight: number;
}

// Entry mix ~45/45/5/4/1; forms of donations, pickups, counts and discards hold 1-4 lines (2.2 on
// average), a reversal is always one entry: weigh forms so the entry mix comes out right.
const LINES_AVG = 2.2;
const FORMS: readonly Form[] = [
  { kind: 'donation', weight: 0.45 / LINES_AVG },
  { kind: 'pickup', weight: 0.45 / LINES_AVG },
  { kind: 'count', weight: 0.05 / LINES_AVG },
  { kind: 'discard', weight: 0.04 / LINES_AVG },
  { kind: 'reversal', weight: 0.01 },
];
const FORM_TOTAL = FORMS.reduce((s, f) => s + f.weight, 0);
/** With transfers: the share of a hub's forms that send stock to another hub (one send a form). */
export const TRANSFER_SHARE = 0.015;

/**
 * Random bytes, ids (never the same twice) and Yjs client ids (never the same twice), all from `rand`:
 * the same seed gives the same network.
 */
/** A signed device's id length (shared/trust/crypto.ts `deviceIdOf`). */
export const DEVICE_ID_LENGTH = 16;

export function seededIds(rand: () => number) {
  const bytes = (k: number) => {
    const out = new Uint8Array(k);
    for (let i = 0; i < k; i++) out[i] = Math.floor(rand() * 256);
    return out;
  };
  const usedIds = new Set<string>();
  const id = (length = 8) => {
    let v = randomId(bytes, length);
    while (usedIds.has(v)) v = randomId(bytes, length);
    usedIds.add(v);
    return v;
  };
  const clientIds = new Set<number>();
  const clientId = () => {
    let c = Math.floor(rand() * 2 ** 31);
    while (clientIds.has(c)) c = Math.floor(rand() * 2 ** 31);
    clientIds.add(c);
    return c;
  };
  return { bytes, id, clientId };
}

/**
 * Builds the network doc with `n` ledger entries over HUBS hubs of DEVICES_PER_HUB devices and ITEMS
 * items. Same `n` and seed, same bytes.
 */
export function generateNetwork(
  n: number,
  seed = 'larder-bench',
  /**
   * When the year of history starts. START (2025) by default, so tests and the sync benches make the same
   * doc on any day; the app's bench passes a year that ends today (`yearEndingToday`), so that what reads
   * the last weeks (days of cover, the Network screen's pickup rates, usage rows) has them to read.
   */
  /**
   * With `transfers`, hubs also send stock to each other (TRANSFER_SHARE of the forms): a send at one hub
   * and, 1-3 days later, its receipt at the other (2% a unit short, most of those settled at once); the sends
   * of the last days are still in transit.
   * Off by default, so the doc of a seed stays what tests and the sync benches were written against.
   */
  { start = START, transfers = false }: { start?: number; transfers?: boolean } = {},
): GeneratedNetwork {
  const rand = prng(hashSeed(`${seed}/setup`));
  const { bytes, id, clientId } = seededIds(rand);

  const networkId = randomId(bytes, 16);
  const networkKey = bytes(32);
  const hubs = Array.from({ length: HUBS }, (_, h) => ({
    id: id(),
    name: `Hub ${h + 1}`,
    // 16 characters, as a device of a signed network has (deviceIdOf: every network made since signing
    // came); hub and item ids have 8. Each entry carries its device's id: 8 B more per entry than the
    // 8-character ids the bench gave devices before 2026-12-02.
    devices: Array.from({ length: DEVICES_PER_HUB }, () => id(DEVICE_ID_LENGTH)),
    // Hubs differ in size: the busiest records about four times as much as the quietest.
    weight: 0.5 + 1.5 * rand(),
  }));
  const items: Item[] = [];
  const seenIds = new Set<string>();
  for (let i = 0; i < ITEMS; i++) {
    const [base, category, unit, packSize] = BASES[i % BASES.length]!;
    const brand = BRANDS[Math.floor(i / BASES.length) % BRANDS.length]!;
    let itemId = id();
    while (seenIds.has(itemId)) itemId = id();
    seenIds.add(itemId);
    const barcodes: string[] = [];
    if (rand() < 0.7) barcodes.push(String(5_000_000_000_000 + Math.floor(rand() * 1e12)));
    if (rand() < 0.1) barcodes.push(String(5_000_000_000_000 + Math.floor(rand() * 1e12)));
    const createdAt = start - Math.floor(rand() * 30 * DAY_MS);
    items.push({
      id: itemId,
      name: `${base} (${brand})`,
      category: (DEFAULT_CATEGORIES as readonly string[]).includes(category) ? category : 'Other',
      unit,
      ...(packSize ? { packSize } : {}),
      barcodes,
      createdAt,
      updatedAt: createdAt,
    });
  }

  const packSizes = new Map(items.map((item) => [item.id, item.packSize]));

  // Settings: the network, its hubs and devices, the catalog and per-hub levels, made by one setup device.
  const doc = new Y.Doc({ gc: true });
  doc.clientID = clientId();
  doc.transact(() => {
    networkOf(doc).set('id', networkId);
    networkOf(doc).set('createdAt', start - 40 * DAY_MS);
    hubs.forEach((hub, h) => {
      hubsOf(doc).set(hub.id, { name: hub.name, createdAt: start - 40 * DAY_MS } satisfies HubInfo);
      hub.devices.forEach((device, d) =>
        devicesOf(doc).set(device, {
          name: deviceName(h, d),
          hub: hub.id,
          createdAt: start - 40 * DAY_MS,
        } satisfies DeviceInfo),
      );
    });
    for (const item of items) itemsOf(doc).set(item.id, item);
    for (const hub of hubs) {
      for (const item of items) {
        if (rand() < 0.3) {
          const min = 5 + Math.floor(rand() * 40);
          levelsOf(doc).set(levelsKey(hub.id, item.id), { min, target: min * 2 });
        }
      }
    }
  }, 'local');

  // Split n over the hubs by weight (largest remainder, so the parts add up to n exactly).
  const totalWeight = hubs.reduce((s, h) => s + h.weight, 0);
  const shares = hubs.map((h) => (n * h.weight) / totalWeight);
  const counts = shares.map(Math.floor);
  const order = shares.map((s, i) => [s - Math.floor(s), i] as const).sort((a, b) => b[0] - a[0]);
  const missing = n - counts.reduce((s, c) => s + c, 0);
  for (let k = 0; k < missing; k++) counts[order[k]![1]]! += 1;

  const mix: Record<BenchKind, number> = { donation: 0, pickup: 0, count: 0, discard: 0, reversal: 0 };
  let withExtras = 0;
  let selfNextSeq = 1;
  let pickupItem = items[0]!.id;
  // Sends waiting for their receipt, by the receiving hub's index. A hub sends only to hubs generated after
  // it, whose loop then knows the send's id (its transfer) when the receipt is due.
  const incoming = new Map<
    number,
    { transfer: string; from: string; item: string; qty: number; at: number }[]
  >();
  const transferTally = { entries: 0, inTransit: 0 };

  hubs.forEach((hub, h) => {
    const r = prng(hashSeed(`${seed}/hub/${h}`));
    const count = counts[h]!;
    const devices = hub.devices.map((device) => {
      const ydoc = new Y.Doc({ gc: true });
      ydoc.clientID = clientId();
      return { device, ydoc, nextSeq: 1, buffer: [] as Entry[] };
    });
    // Each hub stocks most of the catalog, a few items far more often than others.
    const popularity = items.map((item) => item.id);
    for (let i = popularity.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [popularity[i], popularity[j]] = [popularity[j]!, popularity[i]!];
    }
    const pickItem = () => popularity[Math.floor(popularity.length * r() ** 2)]!;
    const onHand = new Map<string, number>();
    const recent: (Donation | Pickup | Count | Discard)[] = [];
    const flush = (dev: (typeof devices)[number], force = false) => {
      if (dev.buffer.length === 0 || (!force && dev.buffer.length < CHUNK)) return;
      appendEntries(dev.ydoc, dev.device, dev.buffer);
      dev.buffer = [];
    };

    let made = 0;
    const arriving = (incoming.get(h) ?? []).sort((a, b) => a.at - b.at);
    const record = (dev: (typeof devices)[number], entry: Entry) => {
      dev.nextSeq += 1;
      made += 1;
      transferTally.entries += 1;
      const entryKey = stockKey(entry.hub, entry.item);
      onHand.set(entryKey, (onHand.get(entryKey) ?? 0) + ownEffect(entry));
      dev.buffer.push(entry);
      flush(dev);
    };
    while (made < count) {
      const dev = devices[r() < 0.6 ? 0 : 1]!;
      // Entries are spread evenly over the year, in order; a form's lines share one time.
      const recordedAt = Math.floor((start + ((made + r()) / count) * YEAR_MS) / 1000) * 1000;
      if (transfers && arriving.length > 0 && arriving[0]!.at <= recordedAt) {
        // A send from another hub arrives: its receipt (now and then a unit short, or broken on the way).
        const sent = arriving.shift()!;
        const qty = r() < 0.02 ? Math.max(0, sent.qty - 1) : sent.qty;
        const base = {
          hub: hub.id,
          device: dev.device,
          seq: dev.nextSeq,
          item: sent.item,
          at: recordedAt,
          recordedAt,
        };
        record(dev, { kind: 'transfer_in', ...base, qty, from: sent.from, transfer: sent.transfer });
        // Most differences are settled there and then (the rest wait on the Transfers screen).
        if (qty !== sent.qty && r() < 0.9 && made < count)
          record(dev, {
            kind: 'transfer_resolve',
            ...base,
            seq: dev.nextSeq,
            transfer: sent.transfer,
            note: 'One tin dented on the way, thrown out',
          });
        continue;
      }
      if (transfers && h < HUBS - 1 && r() < TRANSFER_SHARE) {
        // A send of an item this hub holds plenty of, to a hub generated after it.
        const item = pickItem();
        const have = onHand.get(stockKey(hub.id, item)) ?? 0;
        if (have >= 4) {
          const to = h + 1 + Math.floor(r() * (HUBS - 1 - h));
          const qty = Math.max(1, Math.floor(have / (2 + Math.floor(r() * 4))));
          const out: Entry = {
            kind: 'transfer_out',
            hub: hub.id,
            device: dev.device,
            seq: dev.nextSeq,
            item,
            at: recordedAt,
            recordedAt,
            qty,
            to: hubs[to]!.id,
          };
          const arrives = recordedAt + (1 + Math.floor(r() * 3)) * DAY_MS;
          const list = incoming.get(to) ?? [];
          list.push({ transfer: idOf(out), from: hub.id, item, qty, at: arrives });
          incoming.set(to, list);
          record(dev, out);
          continue;
        }
      }
      const at = r() < 0.03 ? recordedAt - (1 + Math.floor(r() * 72)) * 3_600_000 : recordedAt;
      const note = r() < 0.02 ? NOTES[Math.floor(r() * NOTES.length)] : undefined;
      let pick = r() * FORM_TOTAL;
      const form = FORMS.find((f) => (pick -= f.weight) < 0) ?? FORMS[0]!;
      const lines = form.kind === 'reversal' ? 1 : Math.min(count - made, 1 + Math.floor(r() * r() * 4.8));
      const first = dev.nextSeq;
      const used = new Set<string>();
      const households = form.kind === 'pickup' && r() < 0.6 ? 1 + Math.floor(r() * 5) : undefined;
      for (let i = 0; i < lines; i++) {
        let item = pickItem();
        while (used.has(item)) item = pickItem();
        used.add(item);
        const base = {
          hub: hub.id,
          device: dev.device,
          seq: dev.nextSeq,
          item,
          at,
          recordedAt,
          ...(i > 0 ? { group: first } : {}),
          ...(note ? { note } : {}),
        };
        const key = stockKey(hub.id, item);
        const have = onHand.get(key) ?? 0;
        const packSize = packSizes.get(item);
        let entry: Entry | undefined;
        switch (form.kind) {
          case 'donation': {
            const packs = packSize && r() < 0.3 ? 1 + Math.floor(r() * 4) : undefined;
            const qty = packs ? packs * packSize! : 1 + Math.floor(r() * r() * 24);
            const expiry =
              r() < 0.4
                ? new Date(recordedAt + (20 + Math.floor(r() * 400)) * DAY_MS).toISOString().slice(0, 10)
                : undefined;
            const source = DONATION_SOURCES[Math.floor(r() * r() * DONATION_SOURCES.length)]!;
            entry = {
              kind: 'donation',
              ...base,
              qty,
              source,
              ...(expiry ? { expiry } : {}),
              ...(packs ? { packs } : {}),
            };
            break;
          }
          case 'pickup': {
            const qty = 1 + Math.floor(r() * r() * 6);
            entry = {
              kind: 'pickup',
              ...base,
              qty,
              ...(i === 0 && households ? { households } : {}),
              ...(have - qty < 0 ? { belowZero: true as const } : {}),
            };
            break;
          }
          case 'count': {
            const counted = Math.max(0, have + Math.floor(r() * 7) - 3);
            entry = { kind: 'count', ...base, counted, seen: have };
            break;
          }
          case 'discard':
            entry = {
              kind: 'discard',
              ...base,
              qty: 1 + Math.floor(r() * 3),
              reason: DISCARD_REASONS[Math.floor(r() * DISCARD_REASONS.length)]!,
            };
            break;
          case 'reversal': {
            // Undo a recent entry of this hub, not already undone (what the History screen offers).
            const target =
              recent.length > 0 ? recent.splice(Math.floor(r() * recent.length), 1)[0] : undefined;
            if (!target) break;
            entry = {
              kind: 'reversal',
              hub: hub.id,
              device: dev.device,
              seq: dev.nextSeq,
              item: target.item,
              at: recordedAt,
              recordedAt,
              target: idOf(target),
              targetKind: target.kind,
              effect: -ownEffect(target),
              ...(target.kind === 'donation' && target.expiry ? { expiry: target.expiry } : {}),
              ...(note ? { note } : {}),
            };
            break;
          }
        }
        if (!entry) continue;
        dev.nextSeq += 1;
        made += 1;
        mix[form.kind] += 1;
        const entryKey = stockKey(entry.hub, entry.item);
        onHand.set(entryKey, (onHand.get(entryKey) ?? 0) + ownEffect(entry));
        if (
          entry.note ||
          entry.group !== undefined ||
          ('expiry' in entry && entry.expiry) ||
          ('packs' in entry && entry.packs !== undefined) ||
          ('belowZero' in entry && entry.belowZero) ||
          entry.kind === 'reversal'
        )
          withExtras += 1;
        if (entry.kind !== 'reversal') {
          recent.push(entry as Donation | Pickup | Count | Discard);
          if (recent.length > 300) recent.shift();
        }
        dev.buffer.push(entry);
        flush(dev);
      }
    }
    // Sends whose receipt would fall after the year's end are still on their way.
    transferTally.inTransit += arriving.length;
    for (const dev of devices) {
      flush(dev, true);
      // The device's whole ledger reaches the network doc, as a sync would bring it.
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(dev.ydoc), 'sync');
      dev.ydoc.destroy();
    }
    if (h === 0) {
      selfNextSeq = devices[0]!.nextSeq;
      let best = -Infinity;
      for (const [key, value] of onHand) {
        if (value > best) {
          best = value;
          pickupItem = key.split('|')[1]!;
        }
      }
    }
  });

  return {
    doc,
    entries: n,
    networkId,
    networkKey,
    self: {
      hubId: hubs[0]!.id,
      deviceId: hubs[0]!.devices[0]!,
      deviceName: deviceName(0, 0),
      nextSeq: selfNextSeq,
    },
    pickupItem,
    mix,
    transfers: transferTally,
    withExtras,
    hubs: HUBS,
    devices: HUBS * DEVICES_PER_HUB,
    items: ITEMS,
  };
}
