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
  type TransferIn,
  type TransferOut,
  type TransferRequest,
  type TransferResolve,
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
  // Three days: usage is kept per hub and day.
  time: fc.integer({ min: 0, max: 4000 }).map((m) => Date.UTC(2025, 0, 1) + m * 60_000),
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
        'transfer_request' as const,
        'transfer_out' as const,
        'transfer_in' as const,
      ),
      effect: seenArb,
      expiry: isoDayArb,
      targetAt: timeArb,
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

const headerKeys = ['kind', 'hub', 'device', 'seq', 'item', 'at', 'recordedAt'] as const;

export function transferRequestArb(p: Pools = anyPools): fc.Arbitrary<TransferRequest> {
  return fc.record(
    { kind: fc.constant('transfer_request' as const), ...baseArb(p), qty: p.qty, to: p.hub },
    { noNullPrototype: true, requiredKeys: [...headerKeys, 'qty', 'to'] },
  );
}

export function transferOutArb(p: Pools = anyPools): fc.Arbitrary<TransferOut> {
  return fc.record(
    {
      kind: fc.constant('transfer_out' as const),
      ...baseArb(p),
      qty: p.qty,
      to: p.hub,
      transfer: entryIdArb,
    },
    { noNullPrototype: true, requiredKeys: [...headerKeys, 'qty', 'to'] },
  );
}

export function transferInArb(p: Pools = anyPools): fc.Arbitrary<TransferIn> {
  return fc.record(
    {
      kind: fc.constant('transfer_in' as const),
      ...baseArb(p),
      qty: fc.oneof(fc.constant(0), p.qty),
      from: p.hub,
      transfer: entryIdArb,
    },
    { noNullPrototype: true, requiredKeys: [...headerKeys, 'qty', 'from', 'transfer'] },
  );
}

export function transferResolveArb(p: Pools = anyPools): fc.Arbitrary<TransferResolve> {
  return fc.record(
    {
      kind: fc.constant('transfer_resolve' as const),
      ...baseArb(p),
      transfer: entryIdArb,
      note: noteArb,
    },
    { noNullPrototype: true, requiredKeys: [...headerKeys, 'transfer', 'note'] },
  );
}

/** Any entry the schema accepts, of every kind. */
export function entryArb(p: Pools = anyPools): fc.Arbitrary<Entry> {
  return fc.oneof(
    donationArb(p),
    pickupArb(p),
    countArb(p),
    discardArb(p),
    reversalArb(p),
    transferRequestArb(p),
    transferOutArb(p),
    transferInArb(p),
    transferResolveArb(p),
  );
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

/** Every entry that is not an undo. */
export type Undoable = Exclude<Entry, Reversal>;

/** The change an entry makes by itself, written out independently of shared/entries.ts. */
export function plainEffect(e: Undoable): number {
  if (e.kind === 'donation' || e.kind === 'transfer_in') return e.qty;
  if (e.kind === 'count') return e.counted - e.seen;
  if (e.kind === 'transfer_request' || e.kind === 'transfer_resolve') return 0;
  return -e.qty;
}

/** A reversal of `target`, built by hand (not with undoEntry) from the schema's meaning. */
export function reversalOf(
  target: Exclude<Undoable, TransferResolve>,
  device: string,
  seq: number,
  at: number,
): Reversal {
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
    targetAt: target.at,
  };
}

/**
 * One transfer between the two hubs, as honest devices record it: maybe a request, then sends (two
 * concurrent ones at most, only against a request), receipts (two concurrent ones at most; 0 units
 * possible) and settlements. Ids are assigned when the ledger is put together.
 */
const transferPlanArb = fc.record({
  item: smallPools.item,
  from: fc.constantFrom(...HUBS),
  requested: fc.boolean(),
  request: fc.record({ device: fc.constantFrom(...DEVICES), at: smallPools.time, qty: smallPools.qty }),
  sends: fc.array(
    fc.record({ device: fc.constantFrom(...DEVICES), at: smallPools.time, qty: smallPools.qty }),
    { maxLength: 2 },
  ),
  receipts: fc.array(
    fc.record({
      device: fc.constantFrom(...DEVICES),
      at: smallPools.time,
      qty: fc.integer({ min: 0, max: 60 }),
    }),
    { maxLength: 2 },
  ),
  settles: fc.array(fc.record({ device: fc.constantFrom(...DEVICES), at: smallPools.time, note: noteArb }), {
    maxLength: 2,
  }),
});

type TransferPlan = typeof transferPlanArb extends fc.Arbitrary<infer T> ? T : never;

/** The entries of a planned transfer, numbered from `seq` on. */
function transferEntries(plan: TransferPlan, seq: () => number): Undoable[] {
  const from = plan.from;
  const to = HUBS.find((h) => h !== from)!;
  const header = (device: string, at: number, hub: string) => ({
    hub,
    device,
    seq: seq(),
    item: plan.item,
    at,
    recordedAt: at,
  });
  const out: Undoable[] = [];
  let root: string;
  if (plan.requested) {
    const r = plan.request;
    const request: TransferRequest = {
      kind: 'transfer_request',
      ...header(r.device, r.at, from),
      qty: r.qty,
      to,
    };
    root = `${request.device}.${request.seq}`;
    out.push(request);
    for (const s of plan.sends)
      out.push({ kind: 'transfer_out', ...header(s.device, s.at, from), qty: s.qty, to, transfer: root });
  } else {
    // Without a request a send is its own transfer; without any send, the receipts name one never seen.
    const s = plan.sends[0];
    const send: TransferOut | undefined = s && {
      kind: 'transfer_out',
      ...header(s.device, s.at, from),
      qty: s.qty,
      to,
    };
    root = send ? `${send.device}.${send.seq}` : `zzzz.${seq()}`;
    if (send) out.push(send);
  }
  for (const r of plan.receipts)
    out.push({ kind: 'transfer_in', ...header(r.device, r.at, to), qty: r.qty, from, transfer: root });
  for (const s of plan.settles)
    out.push({ kind: 'transfer_resolve', ...header(s.device, s.at, to), transfer: root, note: s.note });
  return out;
}

/**
 * A ledger of every kind of entry with distinct ids: movements, transfers (requests, sends, concurrent
 * receipts, settlements), and undos of any of them (often several of the same entry, from different
 * devices), plus undos of entries that never arrive (orphans).
 */
export const ledgerArb: fc.Arbitrary<Entry[]> = fc
  .tuple(
    fc.array(movementArb(), { maxLength: 20 }),
    fc.array(transferPlanArb, { maxLength: 3 }),
    fc.array(fc.record({ pick: fc.nat(), device: fc.constantFrom(...DEVICES), at: smallPools.time }), {
      maxLength: 10,
    }),
    fc.array(fc.record({ target: movementArb(), device: fc.constantFrom(...DEVICES) }), { maxLength: 3 }),
  )
  .map(([movements, transfers, undos, orphans]) => {
    const base: Undoable[] = withUniqueIds(movements);
    let seq = base.length + 1;
    const next = () => seq++;
    for (const plan of transfers) base.push(...transferEntries(plan, next));
    const undoable = base.filter((e) => e.kind !== 'transfer_resolve');
    const reversals: Reversal[] = [];
    if (undoable.length > 0) {
      for (const u of undos)
        reversals.push(reversalOf(undoable[u.pick % undoable.length]!, u.device, seq++, u.at));
    }
    // Orphans: reversals of entries that are not in the ledger (their sequence numbers are never used).
    orphans.forEach((o, i) => {
      reversals.push(reversalOf({ ...o.target, seq: 100_000 + i }, o.device, seq++, o.target.at));
    });
    return [...base, ...reversals];
  });
