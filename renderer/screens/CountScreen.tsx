import { useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Item } from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { useBusyNote, useUnprojected } from '../app/hooks';
import { useHubStock, useItems } from '../data/catalog';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { ItemPicker } from '../components/ItemPicker';
import { Field } from '../components/Field';
import { StatusMessage } from '../components/StatusMessage';
import { useCommand } from '../app/useCommand';
import { useFormat } from '../i18n/format';

interface CountLine {
  item: string;
  counted: string;
}

/**
 * A count records what was counted and what this device showed. Movements recorded elsewhere at the same
 * time still count, because the entry's effect is the difference, not the counted figure.
 */
export function CountScreen() {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const itemRows = useItems();
  const stock = useHubStock();
  const unprojected = useUnprojected();
  const items = useMemo(() => new Map((itemRows ?? []).map((i) => [i.id, i as Item])), [itemRows]);
  const [lines, setLines] = useState<CountLine[]>([]);
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const command = useCommand();
  // A save right after the app opened may wait for the history's load (seconds at millions of entries).
  const busyNote = useBusyNote(command.busy, { early: true });
  const pickerRef = useRef<HTMLInputElement>(null);
  const inputs = useRef(new Map<string, HTMLInputElement>());

  const focusItem = useRef<string | null>(null);
  useLayoutEffect(() => {
    if (focusItem.current === null) return;
    inputs.current.get(focusItem.current)?.focus();
    focusItem.current = null;
  }, [lines]);

  const add = (item: Item) => {
    command.clear();
    focusItem.current = item.id;
    if (!lines.some((l) => l.item === item.id)) setLines([...lines, { item: item.id, counted: '' }]);
    else inputs.current.get(item.id)?.focus();
  };

  const save = async () => {
    if (command.busy) return;
    command.clear();
    await command.run(() => store.recordCount({ lines, note }), {
      done: (entries) => {
        const changed = entries.filter((e) => e.counted !== e.seen).length;
        setLines([]);
        setNote('');
        setErrors(noErrors);
        pickerRef.current?.focus();
        return `${t('count.saved', { count: entries.length })} ${t('count.differed', { count: changed })}`;
      },
      // A line's or the note's message shows at its field (once); the status line says the rest.
      failed: (e) => {
        const found = toFormErrors(e);
        setErrors(found);
        const shown = new Set(['note', ...lines.map((_, i) => `lines.${i}.counted`)]);
        return found.summary.filter((_, i) => !shown.has(found.summaryFields?.[i] ?? '')).join(' ');
      },
    });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void save();
    }
  };

  return (
    <section aria-labelledby="count-title">
      <header className="screen-header">
        <h1 id="count-title">{t('nav.count')}</h1>
        <p className="muted">{t('count.lead')}</p>
      </header>
      <form
        className="card movement"
        noValidate
        onKeyDown={onKeyDown}
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void save();
        }}
      >
        <ItemPicker
          label={t('movement.findItem')}
          items={[...items.values()]}
          onPick={add}
          inputRef={pickerRef}
          error={errors.fields.lines}
        />
        {lines.length === 0 ? (
          <p className="empty-lines">{t('count.empty')}</p>
        ) : (
          <table className="lines" aria-label={t('count.linesLabel')}>
            <thead>
              <tr>
                <th scope="col">{t('lines.item')}</th>
                <th scope="col">{t('count.onRecord')}</th>
                <th scope="col">{t('count.counted')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('lines.remove')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((line, i) => {
                const item = items.get(line.item);
                const name = item?.name ?? t('lines.unknownItem');
                const error = errors.fields[`lines.${i}.counted`];
                const errorId = `count-line-${i}-error`;
                return (
                  <tr key={line.item}>
                    <th scope="row">{name}</th>
                    <td className="num">{format.number(stock?.get(line.item)?.onHand ?? 0)}</td>
                    <td>
                      <input
                        aria-label={t('count.countedOf', { name })}
                        inputMode="numeric"
                        value={line.counted}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={error ? errorId : undefined}
                        ref={(el) => {
                          if (el) inputs.current.set(line.item, el);
                          else inputs.current.delete(line.item);
                        }}
                        onChange={(e) =>
                          setLines(
                            lines.map((l) => (l.item === line.item ? { ...l, counted: e.target.value } : l)),
                          )
                        }
                        onKeyDown={(e) => {
                          if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey) {
                            e.preventDefault();
                            pickerRef.current?.focus();
                          }
                        }}
                      />
                      {error && (
                        <span className="field-error" id={errorId} role="alert">
                          {error}
                        </span>
                      )}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        aria-label={t('lines.removeItem', { name })}
                        onClick={() => setLines(lines.filter((l) => l.item !== line.item))}
                      >
                        {t('lines.remove')}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <Field label={t('movement.note')} error={errors.fields.note} notice={t('notes.privacy')}>
          {(p) => <input {...p} value={note} onChange={(e) => setNote(e.target.value)} />}
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={command.busy || unprojected > 0}>
            {t('count.save')}
          </button>
          <span className="hint">
            {unprojected > 0
              ? t('count.waitForHistory', { count: unprojected, n: format.number(unprojected) })
              : (busyNote ?? t('movement.ctrlEnter'))}
          </span>
          <StatusMessage message={command.message} />
        </div>
      </form>
    </section>
  );
}
