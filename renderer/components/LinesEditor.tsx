import { useRef, type RefObject } from 'react';
import type { Item } from '../../shared/catalog';
import type { StockRow } from '../../shared/projection';

export interface DraftLine {
  key: number;
  item: string;
  quantity: string;
  inPacks: boolean;
  expiry: string;
}

interface LinesEditorProps {
  lines: DraftLine[];
  items: ReadonlyMap<string, Item>;
  stock?: ReadonlyMap<string, StockRow>;
  withExpiry?: boolean;
  errors: Record<string, string>;
  onChange: (lines: DraftLine[]) => void;
  /** Enter in a quantity: the line is done, go back to the item finder. */
  onLineDone: () => void;
  quantityRefs: RefObject<Map<number, HTMLInputElement>>;
}

/** The lines of a donation, pickup or discard: one row per item, keyboard first. */
export function LinesEditor({
  lines,
  items,
  stock,
  withExpiry,
  errors,
  onChange,
  onLineDone,
  quantityRefs,
}: LinesEditorProps) {
  const update = (key: number, patch: Partial<DraftLine>) =>
    onChange(lines.map((l) => (l.key === key ? { ...l, ...patch } : l)));
  const tableRef = useRef<HTMLTableElement>(null);
  if (lines.length === 0)
    return <p className="empty-lines">No items yet. Find an item above, or scan a barcode.</p>;
  return (
    <table className="lines" ref={tableRef} aria-label="Lines">
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col">Quantity</th>
          {withExpiry && <th scope="col">Expiry (optional)</th>}
          {stock && <th scope="col">On hand now</th>}
          <th scope="col">
            <span className="visually-hidden">Remove</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line, i) => {
          const item = items.get(line.item);
          const name = item?.name ?? 'Unknown item';
          const qtyError = errors[`lines.${i}.quantity`];
          const expiryError = errors[`lines.${i}.expiry`];
          return (
            <tr key={line.key} className={qtyError || expiryError ? 'line-invalid' : undefined}>
              <th scope="row">
                {name}
                {errors[`lines.${i}.item`] && (
                  <span className="field-error">{errors[`lines.${i}.item`]}</span>
                )}
              </th>
              <td>
                <div className="qty">
                  <input
                    aria-label={`Quantity of ${name}`}
                    inputMode="numeric"
                    value={line.quantity}
                    aria-invalid={qtyError ? true : undefined}
                    ref={(el) => {
                      if (el) quantityRefs.current.set(line.key, el);
                      else quantityRefs.current.delete(line.key);
                    }}
                    onChange={(e) => update(line.key, { quantity: e.target.value })}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
                        e.preventDefault();
                        onLineDone();
                      }
                    }}
                  />
                  {item?.packSize ? (
                    <select
                      aria-label={`Unit for ${name}`}
                      value={line.inPacks ? 'packs' : 'units'}
                      onChange={(e) => update(line.key, { inPacks: e.target.value === 'packs' })}
                    >
                      <option value="units">{item.unit}s</option>
                      <option value="packs">packs of {item.packSize}</option>
                    </select>
                  ) : (
                    <span className="unit">{item?.unit ?? ''}s</span>
                  )}
                </div>
                {qtyError && (
                  <span className="field-error" role="alert">
                    {qtyError}
                  </span>
                )}
              </td>
              {withExpiry && (
                <td>
                  <input
                    type="date"
                    aria-label={`Expiry of ${name}`}
                    value={line.expiry}
                    onChange={(e) => update(line.key, { expiry: e.target.value })}
                  />
                  {expiryError && (
                    <span className="field-error" role="alert">
                      {expiryError}
                    </span>
                  )}
                </td>
              )}
              {stock && <td className="num">{stock.get(line.item)?.onHand ?? 0}</td>}
              <td>
                <button
                  type="button"
                  className="link"
                  aria-label={`Remove ${name}`}
                  onClick={() => onChange(lines.filter((l) => l.key !== line.key))}
                >
                  Remove
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
