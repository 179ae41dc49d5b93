import { useId, useRef, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import { unitWord } from '../i18n/units';
import type { Item } from '../../shared/catalog';
import type { ShelfRow } from '../../shared/shelf';

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
  stock?: ReadonlyMap<string, Pick<ShelfRow, 'onHand'>>;
  withExpiry?: boolean;
  errors: Record<string, string>;
  onChange: (lines: DraftLine[]) => void;
  /** Enter in a quantity: the line is done, go back to the item finder. */
  onLineDone: () => void;
  quantityRefs: RefObject<Map<number, HTMLInputElement>>;
}

/**
 * The lines of a donation, pickup or discard: one row per item, keyboard first. Each cell carries its
 * column's name (`data-label`) for layouts that show a line as a card (the front desk on a phone).
 */
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
  const { t } = useTranslation();
  const format = useFormat();
  const update = (key: number, patch: Partial<DraftLine>) =>
    onChange(lines.map((l) => (l.key === key ? { ...l, ...patch } : l)));
  const tableRef = useRef<HTMLTableElement>(null);
  // A line's error is tied to its input, so a screen reader says it with the input (and only there).
  const errorId = `${useId()}-error`;
  if (lines.length === 0) return <p className="empty-lines">{t('lines.empty')}</p>;
  return (
    <table className="lines line-cards" ref={tableRef} aria-label={t('lines.label')}>
      <thead>
        <tr>
          <th scope="col">{t('lines.item')}</th>
          <th scope="col">{t('lines.quantity')}</th>
          {withExpiry && <th scope="col">{t('lines.expiry')}</th>}
          {stock && <th scope="col">{t('lines.onHandNow')}</th>}
          <th scope="col">
            <span className="visually-hidden">{t('lines.remove')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line, i) => {
          const item = items.get(line.item);
          const name = item?.name ?? t('lines.unknownItem');
          const qtyError = errors[`lines.${i}.quantity`];
          const expiryError = errors[`lines.${i}.expiry`];
          const qtyErrorId = `${errorId}-quantity-${line.key}`;
          const expiryErrorId = `${errorId}-expiry-${line.key}`;
          return (
            <tr key={line.key} className={qtyError || expiryError ? 'line-invalid' : undefined}>
              <th scope="row">
                {name}
                {errors[`lines.${i}.item`] && (
                  <span className="field-error">{errors[`lines.${i}.item`]}</span>
                )}
              </th>
              <td data-label={t('lines.quantity')}>
                <div className="qty">
                  <input
                    aria-label={t('lines.quantityOf', { name })}
                    inputMode="numeric"
                    value={line.quantity}
                    aria-invalid={qtyError ? true : undefined}
                    aria-describedby={qtyError ? qtyErrorId : undefined}
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
                      aria-label={t('lines.unitFor', { name })}
                      value={line.inPacks ? 'packs' : 'units'}
                      onChange={(e) => update(line.key, { inPacks: e.target.value === 'packs' })}
                    >
                      <option value="units">
                        {t('lines.units', { unit: unitWord(format.language, 2, item.unit) })}
                      </option>
                      <option value="packs">{t('lines.packsOf', { count: item.packSize })}</option>
                    </select>
                  ) : (
                    <span className="unit">
                      {item ? t('lines.units', { unit: unitWord(format.language, 2, item.unit) }) : ''}
                    </span>
                  )}
                </div>
                {qtyError && (
                  <span className="field-error" id={qtyErrorId} role="alert">
                    {qtyError}
                  </span>
                )}
              </td>
              {withExpiry && (
                <td data-label={t('lines.expiry')}>
                  <input
                    type="date"
                    aria-label={t('lines.expiryOf', { name })}
                    value={line.expiry}
                    aria-invalid={expiryError ? true : undefined}
                    aria-describedby={expiryError ? expiryErrorId : undefined}
                    onChange={(e) => update(line.key, { expiry: e.target.value })}
                  />
                  {expiryError && (
                    <span className="field-error" id={expiryErrorId} role="alert">
                      {expiryError}
                    </span>
                  )}
                </td>
              )}
              {stock && (
                <td className="num" data-label={t('lines.onHandNow')}>
                  {format.number(stock.get(line.item)?.onHand ?? 0)}
                </td>
              )}
              <td className="line-remove">
                <button
                  type="button"
                  className="link"
                  aria-label={t('lines.removeItem', { name })}
                  onClick={() => onChange(lines.filter((l) => l.key !== line.key))}
                >
                  {t('lines.remove')}
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
