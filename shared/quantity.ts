import { msg, word, type DomainMessage, type QuantityField } from './messages';

/** Quantities are whole units; this is the largest a single line may move. */
export const MAX_QUANTITY = 1_000_000;

export type QuantityResult = { ok: true; value: number } | { ok: false; message: DomainMessage };

/**
 * Parses what a person typed into a quantity box. Every way it can be wrong gets its own message, naming
 * the box (`field`), so the form can say exactly what to fix.
 */
export function parseQuantity(
  raw: string | number,
  opts: { allowZero?: boolean; field?: QuantityField } = {},
): QuantityResult {
  const what = word(`field.${opts.field ?? 'quantity'}`);
  const fail = (code: Parameters<typeof msg>[0] & `quantity.${string}`): QuantityResult => ({
    ok: false,
    message: code === 'quantity.tooLarge' ? msg(code, { what, max: MAX_QUANTITY }) : msg(code, { what }),
  });
  const text = typeof raw === 'number' ? String(raw) : raw.trim().replace(/[\s,_]/g, '');
  if (text === '') return fail('quantity.empty');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) return fail('quantity.notNumber');
  const value = Number(text);
  if (!Number.isFinite(value)) return fail('quantity.notNumber');
  if (value < 0) return fail('quantity.negative');
  if (!Number.isInteger(value)) return fail('quantity.notWhole');
  if (value === 0 && !opts.allowZero) return fail('quantity.zero');
  if (value > MAX_QUANTITY) return fail('quantity.tooLarge');
  return { ok: true, value };
}
