import type { Item } from './catalog';
import {
  DISCARD_REASONS,
  DONATION_SOURCES,
  idOf,
  isRealDay,
  ownEffect,
  type Count,
  type Discard,
  type DiscardReason,
  type Donation,
  type DonationSource,
  type Entry,
  type Pickup,
  type Reversal,
} from './entries';
import { IssueCollector, ValidationError, issue } from './errors';
import { msg, word } from './messages';
import { MAX_QUANTITY, parseQuantity } from './quantity';
import { BelowZeroWarning } from './belowZero';

export { BelowZeroWarning };

/**
 * Commands turn what a volunteer filled in into ledger entries, or refuse with a ValidationError that
 * names every field to fix. They are pure: the clock, the device and its next sequence number come in
 * through the context, so the same form always makes the same entries.
 */
export interface CommandContext {
  hub: string;
  device: string;
  /** The sequence number the first new entry gets; the caller advances it by the number of entries. */
  nextSeq: number;
  now: number;
  items: ReadonlyMap<string, Item>;
}

export interface LineForm {
  item: string;
  quantity: string;
  /** The quantity is in packs of the item's pack size. */
  inPacks?: boolean;
  /** ISO date, donations only. */
  expiry?: string;
}

interface CommonForm {
  lines: LineForm[];
  note?: string;
  /** When it happened, if earlier than now (ms since epoch). */
  at?: number | null;
}

export interface DonationForm extends CommonForm {
  source: string;
}
export interface PickupForm extends CommonForm {
  households?: string;
  /** The volunteer saw the below-zero warning and chose to record anyway. */
  acknowledgeBelowZero?: boolean;
}
export interface CountForm {
  lines: { item: string; counted: string }[];
  note?: string;
  at?: number | null;
}
export interface DiscardForm extends CommonForm {
  reason: string;
}

export const MAX_NOTE_LENGTH = 500;
export const MAX_LINES = 200;
export const MAX_HOUSEHOLDS = 100_000;
const EARLIEST = Date.UTC(2020, 0, 1);
const FUTURE_SLACK_MS = 5 * 60_000;

/** Entry times are whole seconds: that is what the ledger stores, so entries survive a round trip exactly. */
const toSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

function checkCommon(
  form: { note?: string; at?: number | null },
  ctx: CommandContext,
  issues: IssueCollector,
) {
  const note = form.note?.trim() ?? '';
  if (note.length > MAX_NOTE_LENGTH)
    issues.add('note', msg('form.noteTooLong', { count: note.length, max: MAX_NOTE_LENGTH }));
  let at = ctx.now;
  if (form.at !== undefined && form.at !== null) {
    if (!Number.isFinite(form.at)) issues.add('at', msg('form.dateInvalid'));
    else if (form.at > ctx.now + FUTURE_SLACK_MS) issues.add('at', msg('form.dateInFuture'));
    else if (form.at < EARLIEST) issues.add('at', msg('form.dateTooEarly', { year: 2020 }));
    else at = form.at;
  }
  return { note: note || undefined, at: toSecond(at), recordedAt: toSecond(ctx.now) };
}

interface ParsedLine {
  item: Item;
  qty: number;
  packs?: number;
  expiry?: string;
}

function parseLines(
  lines: LineForm[],
  ctx: CommandContext,
  issues: IssueCollector,
  kind: 'donation' | 'pickup' | 'discard',
): ParsedLine[] {
  if (lines.length === 0) {
    issues.add('lines', msg('form.noLines', { kind: word(`kind.${kind}`) }));
    return [];
  }
  if (lines.length > MAX_LINES)
    issues.add('lines', msg('form.tooManyLines', { kind: word(`kind.${kind}`), max: MAX_LINES }));
  const parsed: ParsedLine[] = [];
  lines.forEach((line, i) => {
    const field = `lines.${i}`;
    const item = ctx.items.get(line.item);
    if (!item) {
      issues.add(`${field}.item`, msg('form.itemUnknown'));
      return;
    }
    const q = parseQuantity(line.quantity, { field: line.inPacks ? 'packs' : 'quantity' });
    if (!q.ok) {
      issues.add(`${field}.quantity`, q.message);
      return;
    }
    let qty = q.value;
    let packs: number | undefined;
    if (line.inPacks) {
      if (!item.packSize) {
        issues.add(`${field}.quantity`, msg('form.noPackSize', { item: item.name, unit: item.unit }));
        return;
      }
      packs = q.value;
      qty = q.value * item.packSize;
      if (qty > MAX_QUANTITY) {
        issues.add(
          `${field}.quantity`,
          msg('form.packsTooLarge', { packs, packSize: item.packSize, units: qty, max: MAX_QUANTITY }),
        );
        return;
      }
    }
    let expiry: string | undefined;
    if (line.expiry) {
      if (!isRealDay(line.expiry)) {
        issues.add(`${field}.expiry`, msg('form.expiryInvalid'));
        return;
      }
      expiry = line.expiry;
    }
    parsed.push({ item, qty, packs, expiry });
  });
  return parsed;
}

function header(
  ctx: CommandContext,
  index: number,
  item: Item,
  times: { at: number; recordedAt: number },
  note?: string,
) {
  const seq = ctx.nextSeq + index;
  return {
    hub: ctx.hub,
    device: ctx.device,
    seq,
    item: item.id,
    at: times.at,
    recordedAt: times.recordedAt,
    ...(index > 0 ? { group: ctx.nextSeq } : {}),
    ...(note ? { note } : {}),
  };
}

export function recordDonation(ctx: CommandContext, form: DonationForm): Donation[] {
  const issues = new IssueCollector();
  const common = checkCommon(form, ctx, issues);
  if (!(DONATION_SOURCES as readonly string[]).includes(form.source))
    issues.add('source', msg('form.sourceMissing'));
  const lines = parseLines(form.lines, ctx, issues, 'donation');
  issues.throwIfAny();
  return lines.map((l, i) => ({
    kind: 'donation' as const,
    ...header(ctx, i, l.item, common, common.note),
    qty: l.qty,
    source: form.source as DonationSource,
    ...(l.expiry ? { expiry: l.expiry } : {}),
    ...(l.packs !== undefined ? { packs: l.packs } : {}),
  }));
}

/**
 * A pickup is counts of items and, optionally, how many households: never who. A pickup that takes an
 * item below zero is refused with a BelowZeroWarning until the volunteer acknowledges it; the entries
 * then carry the acknowledgement, which marks the item "count needed".
 */
export function recordPickup(
  ctx: CommandContext,
  form: PickupForm,
  onHand: ReadonlyMap<string, number>,
): Pickup[] {
  const issues = new IssueCollector();
  const common = checkCommon(form, ctx, issues);
  let households: number | undefined;
  if (form.households?.trim()) {
    const h = parseQuantity(form.households, { field: 'households' });
    if (!h.ok) issues.add('households', h.message);
    else if (h.value > MAX_HOUSEHOLDS)
      issues.add('households', msg('form.householdsTooMany', { max: MAX_HOUSEHOLDS }));
    else households = h.value;
  }
  const lines = parseLines(form.lines, ctx, issues, 'pickup');
  issues.throwIfAny();

  const taking = new Map<string, number>();
  for (const l of lines) taking.set(l.item.id, (taking.get(l.item.id) ?? 0) + l.qty);
  const short = [...taking].filter(([id, qty]) => (onHand.get(id) ?? 0) - qty < 0);
  if (short.length > 0 && !form.acknowledgeBelowZero) {
    throw new BelowZeroWarning(
      short.map(([id, qty]) => ({
        item: id,
        name: ctx.items.get(id)!.name,
        onHand: onHand.get(id) ?? 0,
        taking: qty,
      })),
    );
  }
  const below = new Set(short.map(([id]) => id));
  return lines.map((l, i) => ({
    kind: 'pickup' as const,
    ...header(ctx, i, l.item, common, common.note),
    qty: l.qty,
    ...(i === 0 && households !== undefined ? { households } : {}),
    ...(below.has(l.item.id) ? { belowZero: true as const } : {}),
    ...(l.packs !== undefined ? { packs: l.packs } : {}),
  }));
}

/** A count records what was counted and what this device showed; its effect is the difference. */
export function recordCount(
  ctx: CommandContext,
  form: CountForm,
  onHand: ReadonlyMap<string, number>,
): Count[] {
  const issues = new IssueCollector();
  const common = checkCommon(form, ctx, issues);
  if (form.lines.length === 0) issues.add('lines', msg('form.countNoLines'));
  const seen = new Set<string>();
  const parsed: { item: Item; counted: number }[] = [];
  form.lines.forEach((line, i) => {
    const item = ctx.items.get(line.item);
    if (!item) return issues.add(`lines.${i}.item`, msg('form.itemUnknown'));
    if (seen.has(item.id))
      return issues.add(`lines.${i}.item`, msg('form.countedTwice', { item: item.name }));
    seen.add(item.id);
    const q = parseQuantity(line.counted, { field: 'counted', allowZero: true });
    if (!q.ok) return issues.add(`lines.${i}.counted`, q.message);
    parsed.push({ item, counted: q.value });
  });
  issues.throwIfAny();
  return parsed.map((l, i) => ({
    kind: 'count' as const,
    ...header(ctx, i, l.item, common, common.note),
    counted: l.counted,
    seen: onHand.get(l.item.id) ?? 0,
  }));
}

export function recordDiscard(ctx: CommandContext, form: DiscardForm): Discard[] {
  const issues = new IssueCollector();
  const common = checkCommon(form, ctx, issues);
  if (!(DISCARD_REASONS as readonly string[]).includes(form.reason))
    issues.add('reason', msg('form.discardReasonMissing'));
  const lines = parseLines(form.lines, ctx, issues, 'discard');
  issues.throwIfAny();
  return lines.map((l, i) => ({
    kind: 'discard' as const,
    ...header(ctx, i, l.item, common, common.note),
    qty: l.qty,
    reason: form.reason as DiscardReason,
  }));
}

/** Undo is a new entry that cancels the target's effect; the target stays in the ledger and the history. */
export function undoEntry(
  ctx: Pick<CommandContext, 'device' | 'nextSeq' | 'now'>,
  target: Entry & { reversedBy?: string },
  note?: string,
): Reversal {
  if (target.kind === 'reversal') throw new ValidationError([issue('', msg('undo.ofUndo'))]);
  if (target.kind === 'transfer_resolve') throw new ValidationError([issue('', msg('undo.ofSettlement'))]);
  if (target.reversedBy) throw new ValidationError([issue('', msg('undo.already'))]);
  const trimmed = note?.trim();
  if (trimmed && trimmed.length > MAX_NOTE_LENGTH)
    throw new ValidationError([issue('note', msg('undo.noteTooLong', { max: MAX_NOTE_LENGTH }))]);
  const now = toSecond(ctx.now);
  return {
    kind: 'reversal',
    hub: target.hub,
    device: ctx.device,
    seq: ctx.nextSeq,
    item: target.item,
    at: now,
    recordedAt: now,
    target: idOf(target),
    targetKind: target.kind,
    effect: 0 - ownEffect(target), // not -x: the undo of a count that changed nothing is 0, not -0
    ...(target.kind === 'donation' && target.expiry ? { expiry: target.expiry } : {}),
    targetAt: target.at,
    ...(trimmed ? { note: trimmed } : {}),
  };
}
