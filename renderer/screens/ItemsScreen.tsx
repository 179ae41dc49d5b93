import { memo, useCallback, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useFirstView } from '../app/firstView';
import {
  categoryList,
  findDuplicateName,
  normalizeName,
  searchItems,
  type Item,
  type ItemForm,
} from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { useItems } from '../data/catalog';
import { noErrors, sayBeyondFields, type FormErrors } from '../app/errors';
import { Field } from '../components/Field';
import { CommandStatus } from '../components/StatusMessage';
import { useCommand } from '../app/useCommand';
import { firstRows, useShownRows } from '../app/slices';
import { useCategoryName, useStoredCategory } from '../i18n/categories';

/** The form holds the category as shown (a suggested one in the reader's words); saving stores it. */
const blankForm = (category: string): ItemForm => ({
  name: '',
  category,
  unit: '',
  packSize: '',
  barcodes: '',
});

function formOf(item: Item, categoryName: (c: string) => string): ItemForm {
  return {
    name: item.name,
    category: categoryName(item.category),
    unit: item.unit,
    packSize: item.packSize ? String(item.packSize) : '',
    barcodes: item.barcodes.join(' '),
  };
}

/** The fields this form shows, each with its own error. */
const FORM_FIELDS = new Set(['name', 'category', 'unit', 'packSize', 'barcodes']);

/** The network's catalog: what hubs handle, in what unit, with which barcodes. */
export function ItemsScreen() {
  const store = useStore();
  const { t } = useTranslation();
  const categoryName = useCategoryName();
  const storedCategory = useStoredCategory();
  const items = useItems();
  // A page opened again here: the ledger loads once the rows are painted (Shell's SAY_WHEN_PAINTED).
  useFirstView(items !== undefined);
  const emptyForm = blankForm(categoryName('Food'));
  const [form, setForm] = useState<ItemForm>(emptyForm);
  const [editing, setEditing] = useState<string | null>(null);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const command = useCommand();
  const [query, setQuery] = useState('');
  const nameRef = useRef<HTMLInputElement>(null);

  const all = useMemo(() => (items ?? []) as Item[], [items]);
  const categories = useMemo(
    () => [...new Set(categoryList(all).map(categoryName))].sort((a, b) => a.localeCompare(b)),
    [all, categoryName],
  );
  const duplicate = form.name.trim() ? findDuplicateName(form.name, all, editing ?? undefined) : undefined;
  const shown = useMemo(() => (query.trim() ? searchItems(query, all) : all), [query, all]);
  // Two hubs may add the same item while apart: flag such pairs so someone can tidy up.
  const duplicateNames = useMemo(() => {
    const seen = new Map<string, number>();
    for (const i of all) seen.set(normalizeName(i.name), (seen.get(normalizeName(i.name)) ?? 0) + 1);
    return seen;
  }, [all]);

  // The table a slice at a time (renderer/app/slices.ts), its rows memoized: typing in the form or the
  // search renders only what changed (2,000 items' rows rendered again with each key were tasks of 100 ms,
  // and of 300 ms for a search).
  const shownRows = useShownRows(items ? shown.length : null, undefined, query.trim());
  const startEdit = (item: Item) => {
    setEditing(item.id);
    setForm(formOf(item, categoryName));
    setErrors(noErrors);
    command.clear();
    nameRef.current?.focus();
  };
  // The same function for every render, calling the latest `startEdit`: the rows stay memoized.
  const editRef = useRef(startEdit);
  editRef.current = startEdit;
  const edit = useCallback((item: Item) => editRef.current(item), []);

  const set = (patch: Partial<ItemForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    // An error about a field goes once the field is changed; the live duplicate check takes over for names.
    setErrors((e) => {
      const fields = { ...e.fields };
      for (const key of Object.keys(patch)) delete fields[key];
      return { ...e, fields };
    });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (command.busy) return;
    command.clear();
    await command.run(
      () => store.saveItem({ ...form, category: storedCategory(form.category) }, editing ?? undefined),
      {
        done: (item) => {
          setForm({ ...emptyForm, category: form.category });
          setEditing(null);
          setErrors(noErrors);
          nameRef.current?.focus();
          return t('items.saved', { name: item.name });
        },
        // A field's message shows at its field (once); the status line says what names no field
        // (a failure to save, which this form used to leave unsaid).
        failed: sayBeyondFields(setErrors, (field) => FORM_FIELDS.has(field)),
      },
    );
  };

  return (
    <section aria-labelledby="items-title">
      <header className="screen-header">
        <h1 id="items-title">{t('items.title')}</h1>
        <p className="muted">{t('items.lead')}</p>
      </header>
      <div className="two-col">
        <form
          className="card"
          onSubmit={submit}
          noValidate
          aria-label={editing ? t('items.edit') : t('items.new')}
        >
          <h2>{editing ? t('items.edit') : t('items.new')}</h2>
          <Field
            label={t('items.name')}
            error={
              errors.fields.name ?? (duplicate ? t('items.duplicate', { name: duplicate.name }) : undefined)
            }
            hint={t('items.nameHint')}
          >
            {(p) => (
              <input {...p} ref={nameRef} value={form.name} onChange={(e) => set({ name: e.target.value })} />
            )}
          </Field>
          <Field label={t('items.category')} error={errors.fields.category}>
            {(p) => (
              <>
                <input
                  {...p}
                  list="item-categories"
                  value={form.category}
                  onChange={(e) => set({ category: e.target.value })}
                />
                <datalist id="item-categories">
                  {categories.map((c) => (
                    <option key={c} value={c} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          <div className="form-row">
            <Field label={t('items.unit')} error={errors.fields.unit} hint={t('items.unitHint')}>
              {(p) => <input {...p} value={form.unit} onChange={(e) => set({ unit: e.target.value })} />}
            </Field>
            <Field label={t('items.packSize')} error={errors.fields.packSize} hint={t('items.packSizeHint')}>
              {(p) => (
                <input
                  {...p}
                  inputMode="numeric"
                  value={form.packSize}
                  onChange={(e) => set({ packSize: e.target.value })}
                />
              )}
            </Field>
          </div>
          <Field label={t('items.barcodes')} error={errors.fields.barcodes} hint={t('items.barcodesHint')}>
            {(p) => (
              <input {...p} value={form.barcodes} onChange={(e) => set({ barcodes: e.target.value })} />
            )}
          </Field>
          <div className="actions">
            <button type="submit" className="primary" disabled={command.busy}>
              {editing ? t('items.saveChanges') : t('items.add')}
            </button>
            {editing && (
              <button
                type="button"
                onClick={() => {
                  setEditing(null);
                  setForm(emptyForm);
                  setErrors(noErrors);
                }}
              >
                {t('common.cancel')}
              </button>
            )}
            <CommandStatus command={command} />
          </div>
        </form>
        <div>
          <div className="field">
            <label htmlFor="items-search">{t('items.search')}</label>
            <input id="items-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          </div>
          {shown.length === 0 ? (
            <p className="empty">{all.length === 0 ? t('items.none') : t('stock.noMatch')}</p>
          ) : (
            <div className="table-scroll">
              <table className="data catalog long" aria-label={t('items.title')}>
                <thead>
                  <tr>
                    <th scope="col" className="cat-name">
                      {t('items.name')}
                    </th>
                    <th scope="col" className="cat-category">
                      {t('items.category')}
                    </th>
                    <th scope="col" className="cat-unit">
                      {t('items.unit')}
                    </th>
                    <th scope="col" className="cat-barcodes">
                      {t('items.colBarcodes')}
                    </th>
                    <th scope="col" className="cat-actions">
                      <span className="visually-hidden">{t('stock.colActions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {firstRows(shown, shownRows).map((item) => (
                    <ItemRowView
                      key={item.id}
                      item={item}
                      duplicate={(duplicateNames.get(normalizeName(item.name)) ?? 0) > 1}
                      onEdit={edit}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

/** One item's row; memoized, so a key typed in the form or a slice added renders only its own rows. */
const ItemRowView = memo(function ItemRowView({
  item,
  duplicate,
  onEdit,
}: {
  item: Item;
  duplicate: boolean;
  onEdit: (item: Item) => void;
}) {
  const { t } = useTranslation();
  const categoryName = useCategoryName();
  return (
    <tr>
      <th scope="row" className="cat-name">
        {item.name}
        {duplicate && <span className="status status-low">{t('items.duplicateName')}</span>}
      </th>
      <td className="cat-category">{categoryName(item.category)}</td>
      <td className="cat-unit">
        {item.unit}
        {item.packSize ? ` (${t('picker.packOf', { count: item.packSize })})` : ''}
      </td>
      <td className="cat-barcodes muted">{item.barcodes.join(', ') || '—'}</td>
      <td className="cat-actions">
        <button
          type="button"
          className="link"
          aria-label={t('items.editItem', { name: item.name })}
          onClick={() => onEdit(item)}
        >
          {t('items.editButton')}
        </button>
      </td>
    </tr>
  );
});
