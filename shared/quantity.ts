/** Quantities are whole units; this is the largest a single line may move. */
export const MAX_QUANTITY = 1_000_000;

export type QuantityResult = { ok: true; value: number } | { ok: false; message: string };

/**
 * Parses what a person typed into a quantity box. Every way it can be wrong gets its own message,
 * so the form can say exactly what to fix.
 */
export function parseQuantity(
  raw: string | number,
  opts: { allowZero?: boolean; label?: string } = {},
): QuantityResult {
  const label = opts.label ?? 'Quantity';
  const text = typeof raw === 'number' ? String(raw) : raw.trim().replace(/[\s,_]/g, '');
  if (text === '') return { ok: false, message: `Enter a ${label.toLowerCase()}` };
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text))
    return { ok: false, message: `${label} must be a number` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { ok: false, message: `${label} must be a number` };
  if (value < 0) return { ok: false, message: `${label} can't be negative` };
  if (!Number.isInteger(value)) return { ok: false, message: `${label} must be a whole number` };
  if (value === 0 && !opts.allowZero) return { ok: false, message: `${label} must be at least 1` };
  if (value > MAX_QUANTITY)
    return { ok: false, message: `${label} must be at most ${MAX_QUANTITY.toLocaleString('en')}` };
  return { ok: true, value };
}
