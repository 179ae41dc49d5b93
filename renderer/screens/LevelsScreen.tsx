import { memo, useCallback, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useFirstView } from '../app/firstView';
import { categoryList, type Item } from '../../shared/catalog';
import type { Levels } from '../../shared/status';
import { firstRows, useShownRows } from '../app/slices';
import { useStore } from '../app/StoreContext';
import { useItems } from '../data/catalog';
import { useHubChoice } from '../data/hubs';
import { useCategoryLevelsAt, useItemLevelsAt } from '../data/levels';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { Field } from '../components/Field';
import { useFormat } from '../i18n/format';
import { useCategoryName } from '../i18n/categories';
import { useCommand } from '../app/useCommand';
import { CommandStatus } from '../components/StatusMessage';
import { useSelf } from '../data/self';

/**
 * A hub's minimum and target per item: a default per category, an item's own levels where it needs
 * different ones, and bulk editing. Levels are settings: a concurrent edit of the same one may win.
 */
export function LevelsScreen() {
  const store = useStore();
  const { t } = useTranslation();
  const categoryName = useCategoryName();
  const self = useSelf()!;
  const coordinator = self.role === 'coordinator';
  const { hubs, hub, choose: setChosen } = useHubChoice(self.hubId);
  const items = useItems();
  const own = useItemLevelsAt(hub);
  // A page opened again here: the ledger loads once the rows are painted (Shell's SAY_WHEN_PAINTED).
  useFirstView(items !== undefined && own !== undefined);
  const byCategory = useCategoryLevelsAt(hub);
  const categories = useMemo(() => categoryList(items ?? []), [items]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const command = useCommand();
  const forHub = coordinator ? hub : undefined;
  // The items' table a slice at a time (renderer/app/slices.ts), again for another hub, its rows memoized:
  // a box ticked renders its own row, not 2,000 (a task of 300 ms each).
  const shownRows = useShownRows(items ? items.length : null, undefined, hub);
  const toggle = useCallback((id: string, checked: boolean) => {
    setSelected((before) => {
      const next = new Set(before);
      if (checked) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);

  return (
    <section aria-labelledby="levels-title">
      <header className="screen-header">
        <h1 id="levels-title">{t('nav.levels')}</h1>
        <p className="muted">{t('levels.lead')}</p>
      </header>
      {coordinator && (
        <div className="toolbar">
          <div className="field">
            <label htmlFor="levels-hub">{t('stock.hub')}</label>
            <select id="levels-hub" value={hub} onChange={(e) => setChosen(e.target.value)}>
              {(hubs ?? []).map((h) => (
                <option key={h.id} value={h.id}>
                  {h.name}
                </option>
              ))}
            </select>
          </div>
        </div>
      )}
      <CommandStatus command={command} />
      <div className="two-col">
        <section className="card" aria-labelledby="category-levels-title">
          <h2 id="category-levels-title">{t('levels.perCategory')}</h2>
          {/* One grid for the header and every row, so each heading sits over its column. */}
          <div className="category-table">
            <div className="category-levels category-head" aria-hidden="true">
              <span>{t('items.category')}</span>
              <span>{t('levels.minimum')}</span>
              <span>{t('levels.target')}</span>
              <span />
            </div>
            {categories.map((c) => (
              <CategoryLevels
                key={`${hub}|${c}`}
                name={categoryName(c)}
                initial={byCategory?.get(c)}
                onSave={async (form) => {
                  await store.setCategoryLevels(c, form, forHub);
                  command.say(t('levels.savedDefaults', { category: categoryName(c) }));
                }}
              />
            ))}
          </div>
        </section>
        <section>
          <BulkLevels
            count={selected.size}
            onApply={async (form) => {
              await store.setManyLevels([...selected], form, forHub);
              command.say(t('levels.savedMany', { count: selected.size }));
              setSelected(new Set());
            }}
          />
          <div className="table-scroll">
            <table className="data levels long" aria-label={t('levels.itemLevels')}>
              <thead>
                <tr>
                  <th scope="col" className="lv-pick">
                    <input
                      type="checkbox"
                      aria-label={t('levels.selectAll')}
                      checked={!!items && items.length > 0 && selected.size === items.length}
                      onChange={(e) =>
                        setSelected(e.target.checked ? new Set((items ?? []).map((i) => i.id)) : new Set())
                      }
                    />
                  </th>
                  <th scope="col" className="lv-item">
                    {t('lines.item')}
                  </th>
                  <th scope="col" className="lv-category">
                    {t('items.category')}
                  </th>
                  <th scope="col" className="num lv-levels">
                    {t('levels.minTarget')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {firstRows(items ?? [], shownRows).map((i) => (
                  <ItemLevelsRow
                    key={i.id}
                    item={i}
                    own={own?.get(i.id)}
                    fallback={byCategory?.get(i.category)}
                    checked={selected.has(i.id)}
                    onToggle={toggle}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </section>
  );
}

/** One item's row of the levels table; memoized, so a box ticked or a slice added renders only its own rows. */
const ItemLevelsRow = memo(function ItemLevelsRow({
  item,
  own,
  fallback,
  checked,
  onToggle,
}: {
  item: Item;
  own: Levels | undefined;
  fallback: Levels | undefined;
  checked: boolean;
  onToggle: (id: string, checked: boolean) => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const categoryName = useCategoryName();
  return (
    <tr>
      <td className="lv-pick">
        <input
          type="checkbox"
          aria-label={t('levels.select', { name: item.name })}
          checked={checked}
          onChange={(e) => onToggle(item.id, e.target.checked)}
        />
      </td>
      <th scope="row" className="lv-item">
        {item.name}
      </th>
      <td className="lv-category">{categoryName(item.category)}</td>
      <td className="lv-levels num">
        {own ? (
          `${format.number(own.min)} / ${format.number(own.target)}`
        ) : fallback ? (
          <span className="muted">
            {t('levels.fromCategory', {
              levels: `${format.number(fallback.min)} / ${format.number(fallback.target)}`,
            })}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
});

function CategoryLevels({
  name,
  initial,
  onSave,
}: {
  /** The category as shown. */
  name: string;
  initial?: { min: number; target: number };
  onSave: (form: { min: string; target: string }) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [min, setMin] = useState(initial ? String(initial.min) : '');
  const [target, setTarget] = useState(initial ? String(initial.target) : '');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const error = errors.fields.min ?? errors.fields.target ?? errors.summary[0];
  return (
    <form
      className="category-levels"
      noValidate
      aria-label={t('levels.defaultsFor', { category: name })}
      onSubmit={async (e: FormEvent) => {
        e.preventDefault();
        try {
          await onSave({ min, target });
          setErrors(noErrors);
        } catch (error) {
          setErrors(toFormErrors(error));
        }
      }}
    >
      <strong className="category-name">{name}</strong>
      <input
        aria-label={t('levelsEditor.min', { name })}
        aria-invalid={errors.fields.min ? true : undefined}
        inputMode="numeric"
        value={min}
        onChange={(e) => setMin(e.target.value)}
      />
      <input
        aria-label={t('levelsEditor.target', { name })}
        aria-invalid={errors.fields.target ? true : undefined}
        inputMode="numeric"
        value={target}
        onChange={(e) => setTarget(e.target.value)}
      />
      <button type="submit">{t('common.save')}</button>
      {error && (
        <span className="field-error category-error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}

function BulkLevels({
  count,
  onApply,
}: {
  count: number;
  onApply: (form: { min: string; target: string }) => Promise<void>;
}) {
  const { t } = useTranslation();
  const [min, setMin] = useState('');
  const [target, setTarget] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  return (
    <form
      className="card inline-form bulk-levels"
      noValidate
      aria-label={t('levels.bulkLabel')}
      onSubmit={async (e: FormEvent) => {
        e.preventDefault();
        try {
          await onApply({ min, target });
          setErrors(noErrors);
          setMin('');
          setTarget('');
        } catch (error) {
          setErrors(toFormErrors(error));
        }
      }}
    >
      <Field label={t('levels.bulkMin')} error={errors.fields.min}>
        {(p) => <input {...p} inputMode="numeric" value={min} onChange={(e) => setMin(e.target.value)} />}
      </Field>
      <Field label={t('levels.bulkTarget')} error={errors.fields.target}>
        {(p) => (
          <input {...p} inputMode="numeric" value={target} onChange={(e) => setTarget(e.target.value)} />
        )}
      </Field>
      <button type="submit" className="primary" disabled={count === 0}>
        {t('levels.apply', { count })}
      </button>
      {errors.fields.items && (
        <span className="field-error" role="alert">
          {errors.fields.items}
        </span>
      )}
    </form>
  );
}
