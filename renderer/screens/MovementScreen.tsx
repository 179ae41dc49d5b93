import { useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { BelowZeroWarning } from '../../shared/commands';
import { DISCARD_REASONS, DONATION_SOURCES } from '../../shared/entries';
import { findByBarcode, type Item } from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { useHubStock, useItems } from '../data/catalog';
import { noErrors, sayBeyondFields, type FormErrors } from '../app/errors';
import { parseLocalDateTime } from '../app/time';
import { ItemPicker } from '../components/ItemPicker';
import { LinesEditor, type DraftLine } from '../components/LinesEditor';
import { Field } from '../components/Field';
import { StatusMessage } from '../components/StatusMessage';
import { useBusyNote } from '../app/hooks';
import { useCommand } from '../app/useCommand';
import { useFormat } from '../i18n/format';
import { KIND_LABEL, REASON_LABEL, SOURCE_LABEL } from '../i18n/entryWords';
import { UnknownBarcode } from '../components/UnknownBarcode';
import { useDomainText } from '../app/domainText';

type Kind = 'donation' | 'pickup' | 'discard';

/** Each form's title, save button and introduction (catalog keys). */
const TITLES = {
  donation: { title: 'nav.donation', save: 'movement.saveDonation', intro: 'movement.introDonation' },
  pickup: { title: 'nav.pickup', save: 'movement.savePickup', intro: 'movement.introPickup' },
  discard: { title: 'nav.discard', save: 'movement.saveDiscard', intro: 'movement.introDiscard' },
} as const satisfies Record<Kind, { title: string; save: string; intro: string }>;

/** The one field besides lines, date and note that each form shows. */
const OWN_FIELD = { donation: 'source', pickup: 'households', discard: 'reason' } as const satisfies Record<
  Kind,
  string
>;

let nextKey = 1;

/** Donations, pickups and discards share one keyboard-first form: find item, Enter, quantity, Enter, Ctrl+Enter. */
export function MovementScreen({ kind }: { kind: Kind }) {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const itemRows = useItems();
  const stock = useHubStock();
  const items = useMemo(() => new Map((itemRows ?? []).map((i) => [i.id, i as Item])), [itemRows]);
  const [lines, setLines] = useState<DraftLine[]>([]);
  const [source, setSource] = useState<string>('individual');
  const [reason, setReason] = useState<string>('');
  const [households, setHouseholds] = useState('');
  const [when, setWhen] = useState('');
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [warning, setWarning] = useState<BelowZeroWarning | null>(null);
  const text = useDomainText();
  const command = useCommand();
  // A save right after the app opened may wait for the history's load (seconds at millions of entries):
  // when early saves are not taken (`store.takesEarlySaves`), the hint says so while it waits.
  const busyNote = useBusyNote(command.busy, { early: true, duringRebuild: true });
  const [unknownCode, setUnknownCode] = useState<string | null>(null);
  const pickerRef = useRef<HTMLInputElement>(null);
  const quantityRefs = useRef(new Map<number, HTMLInputElement>());
  const titles = TITLES[kind];
  // The fields this form shows an error at: a line's item, quantity and (donations) expiry, the lines as a
  // whole at the item finder, the date, the note and the form's own field.
  const showsError = (f: string) =>
    f === 'lines' ||
    /^lines\.\d+\.(item|quantity)$/.test(f) ||
    (kind === 'donation' && /^lines\.\d+\.expiry$/.test(f)) ||
    f === 'at' ||
    f === 'note' ||
    f === OWN_FIELD[kind];
  // Focus moves to a new line's quantity in the same frame it appears, so fast typing (or a scanner) is not
  // lost to the item finder.
  const focusLine = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (focusLine.current === null) return;
    quantityRefs.current.get(focusLine.current)?.focus();
    focusLine.current = null;
  }, [lines]);

  const addItem = (item: Item, quantity = '') => {
    command.clear();
    const existing = lines.find((l) => l.item === item.id);
    if (existing && !quantity) {
      // Picking an item that already has a line goes back to that line rather than adding a second one.
      quantityRefs.current.get(existing.key)?.focus();
      return;
    }
    if (existing && quantity) {
      // A second scan of the same thing: one more of it.
      const n = Number(existing.quantity) || 0;
      setLines(
        lines.map((l) => (l.key === existing.key ? { ...l, quantity: String(n + Number(quantity)) } : l)),
      );
      return;
    }
    const key = nextKey++;
    setLines([...lines, { key, item: item.id, quantity, inPacks: false, expiry: '' }]);
    if (!quantity) focusLine.current = key;
  };

  const onBarcode = (code: string) => {
    const item = findByBarcode(code, [...items.values()]);
    if (item) {
      setUnknownCode(null);
      addItem(item, '1');
    } else setUnknownCode(code);
  };

  const save = async (acknowledgeBelowZero = false) => {
    if (command.busy) return;
    command.clear();
    const formLines = lines.map((l) => ({
      item: l.item,
      quantity: l.quantity,
      inPacks: l.inPacks,
      ...(l.expiry ? { expiry: l.expiry } : {}),
    }));
    const common = { lines: formLines, note, at: parseLocalDateTime(when) };
    await command.run<readonly { qty: number }[]>(
      () =>
        kind === 'donation'
          ? store.recordDonation({ ...common, source })
          : kind === 'pickup'
            ? store.recordPickup({ ...common, households, acknowledgeBelowZero })
            : store.recordDiscard({ ...common, reason }),
      {
        // Said once the store's save has resolved: the entries are in this device's database.
        done: (entries) => {
          const units = entries.reduce((s, e) => s + e.qty, 0);
          setLines([]);
          setNote('');
          setWhen('');
          setHouseholds('');
          setErrors(noErrors);
          setWarning(null);
          pickerRef.current?.focus();
          return t('movement.saved', {
            kind: t(KIND_LABEL[kind]),
            lines: t('movement.lineCount', { count: entries.length, n: format.number(entries.length) }),
            units: t('movement.unitCount', { count: units, n: format.number(units) }),
          });
        },
        // A pickup beyond what is on record asks first (its own box says why); a field's message shows at
        // its field, once; the status line says what names no field shown here (e.g. a save that failed).
        failed: (error) => {
          if (error instanceof BelowZeroWarning) {
            setWarning(error);
            setErrors(noErrors);
            return '';
          }
          setWarning(null);
          return sayBeyondFields(setErrors, showsError)(error);
        },
      },
    );
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void save();
    }
  };

  return (
    <section aria-labelledby="movement-title">
      <header className="screen-header">
        <h1 id="movement-title">{t(titles.title)}</h1>
        <p className="muted">{t(titles.intro)}</p>
      </header>
      <form className="card movement" onSubmit={onSubmit} onKeyDown={onKeyDown} noValidate>
        <ItemPicker
          label={t('movement.findItem')}
          items={[...items.values()]}
          onPick={(item) => addItem(item)}
          onBarcode={onBarcode}
          inputRef={pickerRef}
          error={errors.fields.lines}
        />
        {unknownCode && (
          <UnknownBarcode
            code={unknownCode}
            items={[...items.values()]}
            onAttached={(item) => {
              setUnknownCode(null);
              addItem(item, '1');
            }}
            onDismiss={() => setUnknownCode(null)}
          />
        )}
        <LinesEditor
          lines={lines}
          items={items}
          stock={kind === 'donation' ? undefined : stock}
          withExpiry={kind === 'donation'}
          errors={errors.fields}
          onChange={setLines}
          onLineDone={() => pickerRef.current?.focus()}
          quantityRefs={quantityRefs}
        />
        <div className="form-row">
          {kind === 'donation' && (
            <Field label={t('movement.source')} error={errors.fields.source}>
              {(p) => (
                <select {...p} value={source} onChange={(e) => setSource(e.target.value)}>
                  {DONATION_SOURCES.map((s) => (
                    <option key={s} value={s}>
                      {t(SOURCE_LABEL[s])}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {kind === 'pickup' && (
            <Field
              label={t('movement.households')}
              error={errors.fields.households}
              hint={t('movement.householdsHint')}
            >
              {(p) => (
                <input
                  {...p}
                  inputMode="numeric"
                  value={households}
                  onChange={(e) => setHouseholds(e.target.value)}
                />
              )}
            </Field>
          )}
          {kind === 'discard' && (
            <Field label={t('movement.reason')} error={errors.fields.reason}>
              {(p) => (
                <select {...p} value={reason} onChange={(e) => setReason(e.target.value)}>
                  <option value="">{t('transfers.choose')}</option>
                  {DISCARD_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {t(REASON_LABEL[r])}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <Field label={t('history.when')} error={errors.fields.at} hint={t('movement.whenHint')}>
            {(p) => (
              <input {...p} type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />
            )}
          </Field>
        </div>
        <Field label={t('movement.note')} error={errors.fields.note} notice={t('notes.privacy')}>
          {(p) => <input {...p} value={note} maxLength={600} onChange={(e) => setNote(e.target.value)} />}
        </Field>
        {warning && (
          <div className="warning" role="alert">
            <p>
              <strong>{t('movement.belowZeroTitle')}</strong>
            </p>
            <ul>
              {warning.messages.map((m, i) => (
                <li key={warning.shortfalls[i]!.item}>{text(m)}</li>
              ))}
            </ul>
            <p>{t('movement.belowZeroAdvice')}</p>
            <button type="button" className="primary" disabled={command.busy} onClick={() => void save(true)}>
              {t('movement.recordAnyway')}
            </button>{' '}
            <button type="button" disabled={command.busy} onClick={() => setWarning(null)}>
              {t('movement.goBack')}
            </button>
          </div>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={command.busy}>
            {t(titles.save)}
          </button>
          <span className="hint">{busyNote ?? t('movement.ctrlEnter')}</span>
          <StatusMessage message={command.message} />
        </div>
      </form>
    </section>
  );
}
