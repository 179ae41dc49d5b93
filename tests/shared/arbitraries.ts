import fc from 'fast-check';
import {
  DISCARD_REASONS,
  DONATION_SOURCES,
  type Count,
  type Discard,
  type Donation,
  type Entry,
  type Pickup,
  type Reversal,
} from '../../shared/entries';
import { MAX_QUANTITY } from '../../shared/quantity';

/**
 * Shared fast-check arbitraries and settings. Every property runs with a fixed seed so failures
 * reproduce: override with FC_SEED, and the number of runs with FC_RUNS.
 */
export const SEED = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : 20_250_611;
export const RUNS = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 150;
/** Settings for a property; `scale` shrinks the run count for the heavier properties. */
export const fcOptions = (scale = 1) => ({ seed: SEED, numRuns: Math.max(1, Math.round(RUNS * scale)) });

export const EPOCH_MS = Date.UTC(2020, 0, 1);
export const END_MS = Date.UTC(2100, 0, 1);
const DAY_MS = 86_400_000;

const ID_CHARS = '0123456789abcdefghijklmnopqrstuvwxyz'.split('');
/** Hub, device and item ids: /^[0-9a-z]{4,16}$/. */
export const idArb = fc.string({ unit: fc.constantFrom(...ID_CHARS), minLength: 4, maxLength: 16 });

/** Entry times: whole seconds (the wire format stores seconds) between 2020 and 2100 inclusive. */
export const timeArb = fc.integer({ min: EPOCH_MS / 1000, max: END_MS / 1000 }).map((s) => s * 1000);

/** Real calendar days as YYYY-MM-DD, 2000 to 2199. */
export const isoDayArb = fc
  .integer({ min: Date.UTC(2000, 0, 1) / DAY_MS, max: Date.UTC(2199, 11, 31) / DAY_MS })
  .map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10));

export const qtyArb = fc.integer({ min: 1, max: MAX_QUANTITY });
export const seqArb = fc.integer({ min: 1, max: 2 ** 31 - 1 });
const seenArb = fc.integer({ min: -10 * MAX_QUANTITY, max: 10 * MAX_QUANTITY });
/** Notes: non-empty (an empty note is not kept by the wire format, see wire.test.ts), at most 500 code units. */
export const noteArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 250 });

export interface Pools {
  hub: fc.Arbitrary<string>;
  device: fc.Arbitrary<string>;
  item: fc.Arbitrary<string>;
  time: fc.Arbitrary<number>;
  qty: fc.Arbitrary<number>;
}

export const anyPools: Pools = { hub: idArb, device: idArb, item: idArb, time: timeArb, qty: qtyArb };

/** Few hubs, devices and items, small quantities: entries collide on the same stock rows. */
export const HUBS = ['hub1', 'hub2'] as const;
export const DEVICES = ['deva', 'devb', 'devc', 'devd'] as const;
export const ITEMS = ['itma', 'itmb', 'itmc'] as const;
export const smallPools: Pools = {
  hub: fc.constantFrom(...HUBS),
  device: fc.constantFrom(...DEVICES),
  item: fc.constantFrom(...ITEMS),
  time: fc.integer({ min: 0, max: 1000 }).map((m) => Date.UTC(2025, 0, 1) + m * 60_000),
  qty: fc.integer({ min: 1, max: 50 }),
};

function baseArb(p: Pools) {
  return {
    hub: p.hub,
    device: p.device,
    seq: seqArb,
    item: p.item,
    at: p.time,
    recordedAt: p.time,
    group: seqArb,
    note: noteArb,
  };
}

export function donationArb(p: Pools = anyPools): fc.Arbitrary<Donation> {
  return fc.record(
    {
      kind: fc.constant('donation' as const),
      ...baseArb(p),
      qty: p.qty,
      source: fc.constantFrom(...DONATION_SOURCES),
      expiry: isoDayArb,
      packs: qtyArb,
    },
    {
      noNullPrototype: true,
      requiredKeys: ['kind', 'hub', 'device', 'seq', 'item', 'at', 'recordedAt', 'qty', 'source'],
    },
  );
}

export function pickupArb(p: Pools = anyPools): fc.Arbitrary<Pickup> {
  return fc.record(
    {
      kind: fc.constant('pickup' as const),
      ...baseArb(p),
      qty: p.qty,
      households: fc.integer({ min: 1, max: 100_000 }),
      belowZero: fc.constant(true as const),
      packs: qtyArb,
    },
    {
      noNullPrototype: true,
      requiredKeys: ['kind', 'hub', 'device', 'seq', 'item', 'at', 'recordedAt', 'qty'],
    },
  );
}

export function countArb(p: Pools = anyPools, seen: fc.Arbitrary<number> = seenArb): fc.Arbitrary<Count> {
  return fc.record(
    {
      kind: fc.constant('count' as const),
      ...baseArb(p),
      counted: fc.oneof(fc.constant(0), p.qty),
      seen,
    },
    {
      noNullPrototype: true,
      requiredKeys: ['kind', 'hub', 'device', 'seq', 'item', 'at', 'recordedAt', 'counted', 'seen'],
    },
  );
}

export function discardArb(p: Pools = anyPools): fc.Arbitrary<Discard> {
  return fc.record(
    {
      kind: fc.constant('discard' as const),
      ...baseArb(p),
      qty: p.qty,
      reason: fc.constantFrom(...DISCARD_REASONS),
    },
    {
      noNullPrototype: true,
      requiredKeys: ['kind', 'hub', 'device', 'seq', 'item', 'at', 'recordedAt', 'qty', 'reason'],
    },
  );
}

const entryIdArb = fc.tuple(idArb, fc.maxSafeNat()).map(([device, n]) => `${device}.${n % 10_000_000_000}`);

/** A reversal on its own (target need not exist): any values the schema accepts. */
export function reversalArb(p: Pools = anyPools): fc.Arbitrary<Reversal> {
  return fc.record(
    {
      kind: fc.constant('reversal' as const),
      ...baseArb(p),
      target: entryIdArb,
      targetKind: fc.constantFrom(
        'donation' as const,
        'pickup' as const,
        'count' as const,
        'discard' as const,
      ),
      effect: seenArb,
      expiry: isoDayArb,
    },
    {
      noNullPrototype: true,
      requiredKeys: [
        'kind',
        'hub',
        'device',
        'seq',
        'item',
        'at',
        'recordedAt',
        'target',
        'targetKind',
        'effect',
      ],
    },
  );
}

/** Any entry the schema accepts. */
export function entryArb(p: Pools = anyPools): fc.Arbitrary<Entry> {
  return fc.oneof(donationArb(p), pickupArb(p), countArb(p), discardArb(p), reversalArb(p));
}

/** Donations, pickups, counts and discards (no reversals). */
export function movementArb(p: Pools = smallPools): fc.Arbitrary<Movement> {
  const smallSeen = fc.integer({ min: -100, max: 200 });
  return fc.oneof(donationArb(p), pickupArb(p), countArb(p, smallSeen), discardArb(p));
}

/** Gives every entry a distinct id: sequence numbers 1, 2, 3... in array order (devices kept). */
export function withUniqueIds<E extends Entry>(entries: readonly E[], firstSeq = 1): E[] {
  return entries.map((e, i) => ({ ...e, seq: firstSeq + i }));
}

/** The kinds these generators make besides reversals: the movements a hub records on its own. */
export type Movement = Extract<Entry, { kind: 'donation' | 'pickup' | 'count' | 'discard' }>;

/** The change an entry makes by itself, written out independently of shared/entries.ts. */
export function plainEffect(e: Movement): number {
  if (e.kind === 'donation') return e.qty;
  if (e.kind === 'count') return e.counted - e.seen;
  return -e.qty;
}

/** A reversal of `target`, built by hand (not with undoEntry) from the schema's meaning. */
export function reversalOf(target: Movement, device: string, seq: number, at: number): Reversal {
  return {
    kind: 'reversal',
    hub: target.hub,
    device,
    seq,
    item: target.item,
    at,
    recordedAt: at,
    target: `${target.device}.${target.seq}`,
    targetKind: target.kind,
    effect: 0 - plainEffect(target), // never -0
    ...(target.kind === 'donation' && target.expiry !== undefined ? { expiry: target.expiry } : {}),
  };
}

/**
 * A ledger of movements with distinct ids plus reversals: some of existing entries (often several of the
 * same entry, from different devices), some of entries that never arrive (orphans).
 */
export const ledgerArb: fc.Arbitrary<Entry[]> = fc
  .tuple(
    fc.array(movementArb(), { maxLength: 25 }),
    fc.array(fc.record({ pick: fc.nat(), device: fc.constantFrom(...DEVICES), at: smallPools.time }), {
      maxLength: 10,
    }),
    fc.array(fc.record({ target: movementArb(), device: fc.constantFrom(...DEVICES) }), { maxLength: 3 }),
  )
  .map(([movements, undos, orphans]) => {
    const base = withUniqueIds(movements);
    let seq = base.length + 1;
    const reversals: Reversal[] = [];
    if (base.length > 0) {
      for (const u of undos) reversals.push(reversalOf(base[u.pick % base.length]!, u.device, seq++, u.at));
    }
    // Orphans: reversals of entries that are not in the ledger (their sequence numbers are never used).
    orphans.forEach((o, i) => {
      reversals.push(reversalOf({ ...o.target, seq: 100_000 + i }, o.device, seq++, o.target.at));
    });
    return [...base, ...reversals];
  });
