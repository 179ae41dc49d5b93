import { z } from 'zod';
import { ID_PATTERN } from '../ids';
import type { LedgerRow, StockRow, UsageRow } from '../projection';
import { stockKey } from '../projection';
import { SETTING_MAPS, type SettingMap, type SignedSetting } from '../trust/settings';
import { BLOCK } from '../trust/chain';
import { toBase64Url } from '../sync/encoding';
import { sha256Bytes } from '../trust/crypto';
import { CheckpointFormatError, fault } from './errors';
import { decodeRowsPartSteps, encodeRows, encodeRowsSteps, type RowsHead } from './rows';
import { runSteps, runStepsPaced } from '../pace';

export { CheckpointFormatError } from './errors';

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
 * It travels in two parts. The **head** (covers, stock, usage, settings, and the SHA-256 of the rows) is
 * small, grows with hubs x items and days, not with history, and is what the maker signs: a receiver
 * verifies it and shows the stock view from it at once. The **rows** grow with history; they are checked
 * against the digest in the head and decoded before the first entry after the checkpoint is counted.
 *
 * The head is JSON (positional tuples, rows in a fixed order, integers only); the rows are binary and
 * columnar (rows.ts), so that checking them costs a fraction of a replay. Both encodings are deterministic,
 * so two devices that counted the same entries and hold the same settings make byte-identical parts. The
 * signature covers the head's exact bytes, and through its digest the rows'.
 *
 * Version 2: the rows part became binary (version 1's was JSON tuples); a version 1 head is refused.
 */
export const CHECKPOINT_VERSION = 2;

/** Bounds on what a peer's checkpoint may hold; more is an attack, not a network. */
export const CHECKPOINT_LIMITS = {
  bytes: 512 * 1024 * 1024,
  devices: 10_000,
  rows: 20_000_000,
  /**
   * Positions covered, all devices together: what a receiver keeps a bit of while the history behind arrives
   * (renderer/storage/behindCheckpoint.ts). Counted positions have rows; those after a device's last
   * counted one were set aside, and are seldom many.
   */
  positions: 40_000_000,
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
  /** The last of its entries that counts (0: none; below `seq` when later ones were set aside). */
  counted: number;
}

export interface CheckpointSetting {
  map: SettingMap;
  key: string;
  env: SignedSetting;
}

/** Everything but the rows: what the maker signs, and what a stock view needs. */
export interface CheckpointHead {
  network: string;
  by: string;
  at: number;
  covers: Cover[];
  stock: StockRow[];
  usage: UsageRow[];
  settings: CheckpointSetting[];
  /** SHA-256 of the rows part, base64url, and how many rows it holds. */
  rowsDigest: string;
  rowCount: number;
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

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedPairs = (record: Record<string, number>): [string, number][] =>
  Object.entries(record).sort(([a], [b]) => byString(a, b));

export interface EncodedCheckpoint {
  head: Uint8Array;
  rows: Uint8Array;
}

export const digestOf = (bytes: Uint8Array): string => toBase64Url(sha256Bytes(bytes));
const utf8 = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * The body as its two parts' bytes. Deterministic: rows sorted by their keys, no floats, no optional keys
 * in tuples (absent values are null), so the same state always gives the same bytes.
 */
export function encodeBody(body: CheckpointBody): EncodedCheckpoint {
  const rows = encodeRows(body.rows);
  return { head: encodeHead(body, rows), rows };
}

/** `encodeBody`, the rows encoded in steps with `pause` awaited between them: the same bytes. */
export async function encodeBodyPaced(
  body: CheckpointBody,
  pause: () => Promise<void>,
): Promise<EncodedCheckpoint> {
  const rows = await runStepsPaced(encodeRowsSteps(body.rows), pause);
  return { head: encodeHead(body, rows), rows };
}

/** The head's bytes, for the rows' bytes `rows`. */
function encodeHead(body: CheckpointBody, rows: Uint8Array): Uint8Array {
  return utf8([
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
        // Stryker disable next-line ConditionalExpression: a cut proof has no sig, and JSON writes undefined in a list as null
        c.proof.kind === 'head' ? c.proof.sig : null,
        c.judgedAs,
        c.counted,
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
    [...body.settings]
      .sort((a, b) => byString(a.map, b.map) || byString(a.key, b.key))
      .map((s) => [s.map, s.key, [s.env.v ?? null, s.env.by, s.env.at, s.env.s]]),
    digestOf(rows),
    body.rows.length,
  ]);
}

const id = z.string().regex(ID_PATTERN);
const int = z.number().int();
const nat = int.min(0).max(Number.MAX_SAFE_INTEGER);
const time = nat.max(Date.UTC(2100, 0, 1));
const b64 = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

const headSchema = z.tuple([
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
        int.min(0).max(2 ** 31 - 1),
      ]),
    )
    .max(CHECKPOINT_LIMITS.devices),
  // The long lists are checked by hand below: zod costs seconds at a million rows.
  z.array(z.unknown()).max(CHECKPOINT_LIMITS.stock),
  z.array(z.unknown()).max(CHECKPOINT_LIMITS.usage),
  z
    .array(
      z.tuple([
        z.enum(SETTING_MAPS),
        z.string().min(1).max(80),
        z.tuple([z.unknown(), id, nat, z.string().regex(/^[A-Za-z0-9_-]{86}$/)]),
      ]),
    )
    .max(CHECKPOINT_LIMITS.settings),
  b64,
  nat.max(CHECKPOINT_LIMITS.rows),
]);

function parseJson(bytes: Uint8Array, what: string): unknown {
  if (bytes.byteLength > CHECKPOINT_LIMITS.bytes)
    throw new CheckpointFormatError(
      `A checkpoint's ${what} of ${bytes.byteLength} bytes is larger than the ${CHECKPOINT_LIMITS.bytes} allowed`,
    );
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new CheckpointFormatError(`The checkpoint's ${what} is not readable (not UTF-8 JSON)`);
  }
}

/**
 * Reads a head from bytes that may come from an adversary: every bound and type checked, each device
 * covered once with a chain state of the right shape, each stock and usage row well formed and there once.
 * Throws a CheckpointFormatError that says what is wrong.
 */
export function decodeHead(bytes: Uint8Array): CheckpointHead {
  const parsed = headSchema.safeParse(parseJson(bytes, 'head'));
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    // Stryker disable next-line all: zod reports at least one issue when parsing fails and a path joins to a string; the fallbacks are for the type checker
    fault(first?.path.join('.') ?? '?', first?.message ?? 'invalid');
  }
  const [, network, by, at, coverTuples, stockTuples, usageTuples, settingTuples, rowsDigest, rowCount] =
    parsed.data;
  const covers: Cover[] = coverTuples.map(([device, seq, block, partial, sig, judgedAs, counted]) => ({
    device,
    seq,
    block,
    partial,
    proof: sig === null ? { kind: 'cut' } : { kind: 'head', sig },
    judgedAs,
    counted,
  }));
  const devices = new Set<string>();
  for (const c of covers) {
    if (devices.has(c.device)) fault(`covers/${c.device}`, 'covered twice');
    devices.add(c.device);
    if (c.partial.length !== c.seq % BLOCK)
      fault(`covers/${c.device}`, `a chain at ${c.seq} has ${c.seq % BLOCK} lines after its last block`);
    if (c.counted > c.seq) fault(`covers/${c.device}`, 'counts past what it covers');
  }
  const positions = covers.reduce((n, c) => n + c.seq, 0);
  if (positions > CHECKPOINT_LIMITS.positions)
    fault('covers', `${positions} positions, more than ${CHECKPOINT_LIMITS.positions}`);
  const stock = stockTuples.map(stockRow);
  const usage = usageTuples.map(usageRow);
  if (new Set(stock.map((r) => r.key)).size !== stock.length) fault('stock', 'a row appears twice');
  if (new Set(usage.map((r) => r.key)).size !== usage.length) fault('usage', 'a row appears twice');
  return {
    network,
    by,
    at,
    covers,
    stock,
    usage,
    settings: settingTuples.map(([map, key, [v, sBy, sAt, s]]) => ({
      map,
      key,
      env: { v: v ?? null, by: sBy, at: sAt, s },
    })),
    rowsDigest,
    rowCount,
  };
}

/**
 * Reads the rows of a checkpoint whose head was verified: they must be the bytes the head names (its
 * digest), every entry decoded and validated as the doc's own entries are, each within its device's
 * counted range, none twice, and the head's figures must be what they count for (each stock row's on hand
 * the sum of its rows' effects, its entry count their number), which is what a projection gives (rows.ts).
 */
export function decodeRows(head: CheckpointHead, bytes: Uint8Array): LedgerRow[] {
  return runSteps(decodeRowsSteps(head, bytes));
}

/** What of a head reading its rows needs: what they must count for, and their digest. */
export type RowsDigestHead = RowsHead & Pick<CheckpointHead, 'rowsDigest'>;

/** `decodeRows` as steps (rows.ts `decodeRowsPartSteps`): the same rows and faults, paced by a caller that can wait. */
export function* decodeRowsSteps(
  head: RowsDigestHead,
  bytes: Uint8Array,
  every?: number,
): Generator<void, LedgerRow[]> {
  if (bytes.byteLength > CHECKPOINT_LIMITS.bytes)
    throw new CheckpointFormatError(
      `A checkpoint's rows of ${bytes.byteLength} bytes is larger than the ${CHECKPOINT_LIMITS.bytes} allowed`,
    );
  if (digestOf(bytes) !== head.rowsDigest) fault('rows', 'they are not the rows the head names');
  yield;
  return yield* decodeRowsPartSteps(head, bytes, every);
}

/** Both parts at once (the maker's own check, and tests). */
export function decodeBody(encoded: EncodedCheckpoint): CheckpointBody {
  const head = decodeHead(encoded.head);
  const rows = decodeRows(head, encoded.rows);
  const { rowsDigest: _digest, rowCount: _count, ...rest } = head;
  return { ...rest, rows };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_TIME = Date.UTC(2100, 0, 1);
const isQty = (v: unknown): v is number => Number.isInteger(v) && Math.abs(v as number) <= 2 ** 40;
const isNat = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isTime = (v: unknown): v is number => isNat(v) && v <= MAX_TIME;
const isId = (v: unknown): v is string => typeof v === 'string' && ID_PATTERN.test(v);
const isDay = (v: unknown): v is string => typeof v === 'string' && DAY.test(v);

function tupleOf(v: unknown, length: number, where: string): unknown[] {
  if (!Array.isArray(v) || v.length !== length) fault(where, `not a list of ${length}`);
  return v as unknown[];
}

/** `[[key, n], ...]` into a record, keys checked, no key twice. */
function pairsOf(v: unknown, isKey: (k: unknown) => k is string, where: string): Record<string, number> {
  if (!Array.isArray(v) || v.length > 100_000) fault(where, 'not a list of pairs');
  const out: Record<string, number> = {};
  for (const pair of v as unknown[]) {
    const [k, n] = tupleOf(pair, 2, where);
    if (!isKey(k) || !isQty(n) || Object.hasOwn(out, k)) fault(where, 'a pair is not a key and a number');
    out[k] = n;
  }
  return out;
}

function stockRow(v: unknown, i: number): StockRow {
  const where = `stock row ${i}`;
  const [hub, item, onHand, lots, lastCountAt, lastWarnAt, lastEntryAt, entryCount] = tupleOf(v, 8, where);
  if (!isId(hub) || !isId(item)) fault(where, 'hub or item is not an id');
  if (!isQty(onHand) || !isTime(lastEntryAt) || !isNat(entryCount))
    fault(where, 'a figure is not a whole number');
  if ((lastCountAt !== null && !isTime(lastCountAt)) || (lastWarnAt !== null && !isTime(lastWarnAt)))
    fault(where, 'a time is not a time');
  return {
    key: stockKey(hub, item),
    hub,
    item,
    onHand,
    lots: pairsOf(lots, isDay, where),
    lastCountAt: lastCountAt as number | null,
    lastWarnAt: lastWarnAt as number | null,
    lastEntryAt,
    entryCount,
  };
}

function usageRow(v: unknown, i: number): UsageRow {
  const where = `usage row ${i}`;
  const [hub, day, entries, pickups] = tupleOf(v, 4, where);
  if (!isId(hub) || !isDay(day) || !isNat(entries)) fault(where, 'not a hub, a day and a number');
  return { key: stockKey(hub, day), hub, day, entries, pickups: pairsOf(pickups, isId, where) };
}
