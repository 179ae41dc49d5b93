import { z } from 'zod';
import { exclusiveSlot, idOf, isTransfer, transferOf } from '../entries';
import { ID_PATTERN } from '../ids';
import type { LedgerRow, StockRow, UsageRow } from '../projection';
import { stockKey } from '../projection';
import { SETTING_MAPS, type SettingMap, type SignedSetting } from '../trust/settings';
import { BLOCK } from '../trust/chain';
import { decodeEntry, encodeEntry } from '../wire';

/**
 * A checkpoint: the state a device reaches after counting every entry up to a position in each device's
 * signed chain, so that another device can start from it instead of replaying the whole history.
 *
 * What it holds, and why each part is there:
 * - `covers`: for each device, the last sequence number counted and the chain state there (the hash of
 *   the last full block and the lines after it), with the proof of that position: the device's own
 *   signature over its head there, or the admin's revocation / adoption that cut it there. A receiver
 *   continues each device's chain from that state, so later entries are verified as usual.
 * - `stock` and `usage`: the projection's rows (on hand, expiry lots, last count, days of use), so the
 *   stock view and the days of cover are right at once.
 * - `rows`: every counted entry the checkpoint covers, with what it counts for now (`applied`) and the
 *   undo that cancelled it. A later entry may reach back before the checkpoint: an undo of any older entry
 *   (it must take back exactly what that entry counts for, and only once), a second receipt of a transfer
 *   sent long ago (only the first, in the agreed order, counts), a settlement of a discrepancy. Without the
 *   entries these cannot be decided the way the whole history decides them. Open transfers are rebuilt
 *   from these rows (transfers.ts), so they are not stored twice.
 * - Problems the projection sets aside (an undo of an undo, or of another hub's entry) are not carried:
 *   the receiver derives them from the rows (seed.ts), so it never shows a maker's claim about them.
 * - `settings`: the catalog, levels, hubs and device names as their writers signed them; a receiver checks
 *   each signature and right itself, so a checkpoint cannot forge a setting.
 *
 * The encoding is deterministic (positional tuples, rows in a fixed order, integers only), so two devices
 * that counted the same entries and hold the same settings make byte-identical bodies. The signature
 * covers the exact bytes.
 */
export const CHECKPOINT_VERSION = 1;

/** Bounds on what a peer's checkpoint may hold; more is an attack, not a network. */
export const CHECKPOINT_LIMITS = {
  bytes: 512 * 1024 * 1024,
  devices: 10_000,
  rows: 20_000_000,
  stock: 2_000_000,
  usage: 2_000_000,
  settings: 500_000,
} as const;

/** How a covered position is proven. */
export type CoverProof =
  /** The device's Ed25519 signature over `headMessage(network, device, seq, hash)`. */
  | { kind: 'head'; sig: string }
  /** An admin's revocation or adoption in the member list cuts the device exactly here, with this hash. */
  | { kind: 'cut' };

export interface Cover {
  device: string;
  seq: number;
  /** Chain state at `seq` (see trust/chain.ts): hash of the last full block, lines after it. */
  block: string;
  partial: string[];
  proof: CoverProof;
  /** Role and hub the device's entries were judged with (gate.ts `judgedAs`). */
  judgedAs: string;
}

export interface CheckpointSetting {
  map: SettingMap;
  key: string;
  env: SignedSetting;
}

export interface CheckpointBody {
  network: string;
  /** The device that made and signed it. */
  by: string;
  /** When it was made, by the maker's clock (shown, never used to choose). */
  at: number;
  covers: Cover[];
  stock: StockRow[];
  usage: UsageRow[];
  rows: LedgerRow[];
  settings: CheckpointSetting[];
}

export class CheckpointFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedPairs = (record: Record<string, number>): [string, number][] =>
  Object.entries(record).sort(([a], [b]) => byString(a, b));

/**
 * The body as bytes. Deterministic: rows sorted by their keys, no floats, no optional keys in tuples
 * (absent values are null), so the same state always gives the same bytes.
 */
export function encodeBody(body: CheckpointBody): Uint8Array {
  const tuple = [
    CHECKPOINT_VERSION,
    body.network,
    body.by,
    body.at,
    [...body.covers]
      .sort((a, b) => byString(a.device, b.device))
      .map((c) => [
        c.device,
        c.seq,
        c.block,
        c.partial,
        c.proof.kind === 'head' ? c.proof.sig : null,
        c.judgedAs,
      ]),
    [...body.stock]
      .sort((a, b) => byString(a.key, b.key))
      .map((s) => [
        s.hub,
        s.item,
        s.onHand,
        sortedPairs(s.lots),
        s.lastCountAt,
        s.lastWarnAt,
        s.lastEntryAt,
        s.entryCount,
      ]),
    [...body.usage]
      .sort((a, b) => byString(a.key, b.key))
      .map((u) => [u.hub, u.day, u.entries, sortedPairs(u.pickups)]),
    [...body.rows]
      .sort((a, b) => byString(a.device, b.device) || a.seq - b.seq)
      .map((r) => [encodeEntry(r), r.applied, r.reversedBy ?? null]),
    [...body.settings]
      .sort((a, b) => byString(a.map, b.map) || byString(a.key, b.key))
      .map((s) => [s.map, s.key, [s.env.v ?? null, s.env.by, s.env.at, s.env.s]]),
  ];
  return new TextEncoder().encode(JSON.stringify(tuple));
}

const id = z.string().regex(ID_PATTERN);
const int = z.number().int();
const nat = int.min(0).max(Number.MAX_SAFE_INTEGER);
const qty = int.min(-(2 ** 40)).max(2 ** 40);
const time = nat.max(Date.UTC(2100, 0, 1));
const b64 = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const entryIdText = z.string().regex(/^[0-9a-z]{4,16}\.\d{1,10}$/);
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const pairs = (key: z.ZodType<string>) => z.array(z.tuple([key, qty])).max(100_000);

const bodySchema = z.tuple([
  z.literal(CHECKPOINT_VERSION),
  id,
  id,
  time,
  z
    .array(
      z.tuple([
        id,
        int.min(1).max(2 ** 31 - 1),
        b64,
        z.array(z.string().max(4096)).max(BLOCK - 1),
        z
          .string()
          .regex(/^[A-Za-z0-9_-]{86}$/)
          .nullable(),
        z.string().max(40),
      ]),
    )
    .max(CHECKPOINT_LIMITS.devices),
  z
    .array(z.tuple([id, id, qty, pairs(day), time.nullable(), time.nullable(), time, nat]))
    .max(CHECKPOINT_LIMITS.stock),
  z.array(z.tuple([id, day, nat, pairs(id)])).max(CHECKPOINT_LIMITS.usage),
  z.array(z.tuple([z.array(z.unknown()).max(16), qty, entryIdText.nullable()])).max(CHECKPOINT_LIMITS.rows),
  z
    .array(
      z.tuple([
        z.enum(SETTING_MAPS),
        z.string().min(1).max(80),
        z.tuple([z.unknown(), id, nat, z.string().regex(/^[A-Za-z0-9_-]{86}$/)]),
      ]),
    )
    .max(CHECKPOINT_LIMITS.settings),
]);

/**
 * Reads a body from bytes that may come from an adversary: every bound checked, every entry decoded and
 * validated as the doc's own entries are, and the invariants a real projection has checked too (each
 * entry within its device's covered range, no entry twice, each stock row's on hand the sum of what its
 * rows count for). Throws a CheckpointFormatError that says what is wrong.
 */
export function decodeBody(bytes: Uint8Array): CheckpointBody {
  if (bytes.byteLength > CHECKPOINT_LIMITS.bytes)
    throw new CheckpointFormatError(
      `A checkpoint of ${bytes.byteLength} bytes is larger than the ${CHECKPOINT_LIMITS.bytes} allowed`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new CheckpointFormatError('The checkpoint is not readable (not UTF-8 JSON)');
  }
  const parsed = bodySchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new CheckpointFormatError(
      `The checkpoint is malformed at ${first?.path.join('.') ?? '?'}: ${first?.message ?? 'invalid'}`,
    );
  }
  const [, network, by, at, coverTuples, stockTuples, usageTuples, rowTuples, settingTuples] = parsed.data;

  const covers: Cover[] = coverTuples.map(([device, seq, block, partial, sig, judgedAs]) => ({
    device,
    seq,
    block,
    partial,
    proof: sig === null ? { kind: 'cut' } : { kind: 'head', sig },
    judgedAs,
  }));
  const cut = new Map<string, number>();
  for (const c of covers) {
    if (cut.has(c.device)) throw new CheckpointFormatError(`Device ${c.device} is covered twice`);
    if (c.partial.length !== c.seq % BLOCK)
      throw new CheckpointFormatError(
        `Device ${c.device}: a chain at ${c.seq} has ${c.seq % BLOCK} lines after its last block, not ${c.partial.length}`,
      );
    cut.set(c.device, c.seq);
  }

  const rows: LedgerRow[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < rowTuples.length; i++) {
    const [wire, applied, reversedBy] = rowTuples[i]!;
    const decoded = decodeEntry(wire);
    if (!decoded.ok) throw new CheckpointFormatError(`Row ${i} of the checkpoint: ${decoded.reason}`);
    const entry = decoded.entry;
    const rowId = idOf(entry);
    const last = cut.get(entry.device);
    if (last === undefined || entry.seq > last)
      throw new CheckpointFormatError(`Entry ${rowId} is not within the positions the checkpoint covers`);
    if (seen.has(rowId)) throw new CheckpointFormatError(`Entry ${rowId} appears twice in the checkpoint`);
    seen.add(rowId);
    const slot = exclusiveSlot(entry) ?? undefined;
    rows.push({
      ...entry,
      id: rowId,
      applied,
      ...(reversedBy !== null ? { reversedBy } : {}),
      ...(slot ? { slot } : {}),
      ...(isTransfer(entry) ? { root: transferOf(entry) } : {}),
    });
  }

  const stock: StockRow[] = stockTuples.map(
    ([hub, item, onHand, lots, lastCountAt, lastWarnAt, lastEntryAt, entryCount]) => ({
      key: stockKey(hub, item),
      hub,
      item,
      onHand,
      lots: Object.fromEntries(lots),
      lastCountAt,
      lastWarnAt,
      lastEntryAt,
      entryCount,
    }),
  );
  const usage: UsageRow[] = usageTuples.map(([hub, dayOf, entries, pickups]) => ({
    key: stockKey(hub, dayOf),
    hub,
    day: dayOf,
    entries,
    pickups: Object.fromEntries(pickups),
  }));
  checkFigures(stock, rows);

  return {
    network,
    by,
    at,
    covers,
    stock,
    usage,
    rows,
    settings: settingTuples.map(([map, key, [v, sBy, sAt, s]]) => ({
      map,
      key,
      env: { v: v ?? null, by: sBy, at: sAt, s },
    })),
  };
}

/**
 * A projection's stock is the sum of what its entries count for: a body whose figures disagree with its
 * own rows was not made by the projector (a bug or a forgery), and later undos would take it further off.
 */
function checkFigures(stock: readonly StockRow[], rows: readonly LedgerRow[]): void {
  const sums = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = stockKey(r.hub, r.item);
    sums.set(key, (sums.get(key) ?? 0) + r.applied);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const keys = new Set<string>();
  for (const s of stock) {
    if (keys.has(s.key)) throw new CheckpointFormatError(`Stock of ${s.key} appears twice`);
    keys.add(s.key);
    if ((sums.get(s.key) ?? 0) !== s.onHand)
      throw new CheckpointFormatError(
        `Stock of ${s.key} is ${s.onHand}, but the entries it covers count for ${sums.get(s.key) ?? 0}`,
      );
    if ((counts.get(s.key) ?? 0) !== s.entryCount)
      throw new CheckpointFormatError(
        `Stock of ${s.key} counts ${s.entryCount} entries, but the checkpoint has ${counts.get(s.key) ?? 0}`,
      );
  }
  for (const key of sums.keys())
    if (!keys.has(key)) throw new CheckpointFormatError(`Entries of ${key} have no stock row`);
}
