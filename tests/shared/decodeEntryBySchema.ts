import { DISCARD_REASONS, DONATION_SOURCES, ENTRY_KINDS, entrySchema } from '../../shared/entries';
import { msg, word, type DomainMessage } from '../../shared/messages';
import type { DecodeResult } from '../../shared/wire';

/**
 * `decodeEntry` as it was until 2026-12-02 (commit 1aa92ca, shared/wire.ts), the oracle of the tests that
 * compare it with the hand-written checks (`entryFromFields`): the tuple made into a candidate entry, then
 * validated by the zod `entrySchema`, the schema of record, naming the field zod names first.
 */
const EPOCH_MS = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const fail = (reason: DomainMessage): DecodeResult => ({ ok: false, reason });
const describe = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.slice(0, 20)) : typeof v === 'number' ? String(v) : typeof v;
const isDay = (v: unknown): v is number => isInt(v) && v > -20_000 && v < 66_000;
const isoFromDay = (day: number) => new Date(EPOCH_MS + day * DAY_MS).toISOString().slice(0, 10);

export function decodeEntryBySchema(wire: unknown): DecodeResult {
  if (!Array.isArray(wire)) return fail(msg('entry.notList'));
  if (wire[0] !== 1) return fail(msg('entry.unknownVersion', { value: describe(wire[0]) }));
  if (wire.length < 10 || wire.length > 11) return fail(msg('entry.wrongFieldCount'));
  const [, kindCode, hub, device, seq, item, recordedSec, atBefore, a, b, rawExtras] = wire as unknown[];
  const kind = isInt(kindCode) ? ENTRY_KINDS[kindCode] : undefined;
  if (!kind) return fail(msg('entry.unknownKind', { value: describe(kindCode) }));
  if (!isInt(recordedSec) || !isInt(atBefore)) return fail(msg('entry.timeNotWhole'));
  if (
    rawExtras !== undefined &&
    (typeof rawExtras !== 'object' || rawExtras === null || Array.isArray(rawExtras))
  ) {
    return fail(msg('entry.extrasMalformed'));
  }
  const extras = (rawExtras ?? {}) as Record<string, unknown>;
  const candidate: Record<string, unknown> = {
    kind,
    hub,
    device,
    seq,
    item,
    recordedAt: EPOCH_MS + recordedSec * 1000,
    at: EPOCH_MS + (recordedSec - atBefore) * 1000,
  };
  if (extras.n !== undefined) candidate.note = extras.n;
  if (extras.g !== undefined) candidate.group = extras.g;
  const expiry = isDay(extras.e) ? isoFromDay(extras.e) : extras.e === undefined ? undefined : 'invalid';
  switch (kind) {
    case 'donation':
      Object.assign(candidate, { qty: a, source: isInt(b) ? DONATION_SOURCES[b] : b });
      if (expiry !== undefined) candidate.expiry = expiry;
      if (extras.p !== undefined) candidate.packs = extras.p;
      break;
    case 'pickup':
      candidate.qty = a;
      if (b !== 0) candidate.households = b;
      if (extras.w !== undefined) candidate.belowZero = extras.w === 1 ? true : extras.w;
      if (extras.p !== undefined) candidate.packs = extras.p;
      break;
    case 'count':
      Object.assign(candidate, { counted: a, seen: b });
      break;
    case 'discard':
      Object.assign(candidate, { qty: a, reason: isInt(b) ? DISCARD_REASONS[b] : b });
      break;
    case 'reversal':
      Object.assign(candidate, {
        effect: a,
        target: b,
        targetKind: isInt(extras.t) ? ENTRY_KINDS[extras.t] : extras.t,
      });
      if (extras.a !== undefined)
        candidate.targetAt = isInt(extras.a) ? EPOCH_MS + extras.a * 1000 : extras.a;
      if (expiry !== undefined) candidate.expiry = expiry;
      break;
    case 'transfer_request':
      Object.assign(candidate, { qty: a, to: b });
      break;
    case 'transfer_out':
      Object.assign(candidate, { qty: a, to: b });
      if (extras.r !== undefined) candidate.transfer = extras.r;
      break;
    case 'transfer_in':
      Object.assign(candidate, { qty: a, transfer: b, from: extras.f });
      break;
    case 'transfer_resolve':
      if (a !== 0) return fail(msg('entry.resolveMovesStock'));
      candidate.transfer = b;
      break;
  }
  const parsed = entrySchema.safeParse(candidate);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? '';
    return fail(msg('entry.fieldInvalid', { kind: word(`kind.${kind}`), field }));
  }
  return { ok: true, entry: parsed.data };
}
