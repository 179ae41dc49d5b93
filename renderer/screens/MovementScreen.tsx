import { useLayoutEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { BelowZeroWarning } from '../../shared/commands';
import { DISCARD_REASONS, DONATION_SOURCES } from '../../shared/entries';
import { findByBarcode, type Item } from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { useHubStock, useItems } from '../app/hooks';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { parseLocalDateTime } from '../app/time';
import { ItemPicker } from '../components/ItemPicker';
import { LinesEditor, type DraftLine } from '../components/LinesEditor';
import { Field } from '../components/Field';
import { NOTE_PRIVACY } from '../components/notes';
import { UnknownBarcode } from '../components/UnknownBarcode';

type Kind = 'donation' | 'pickup' | 'discard';

const TITLES: Record<Kind, { title: string; save: string; intro: string }> = {
  donation: {
    title: 'Record donation',
    save: 'Save donation',
    intro: 'Stock coming in: donations and purchases.',
  },
  pickup: {
    title: 'Record pickup',
    save: 'Save pickup',
    intro: 'Stock going out. Only items and counts: never who picked them up.',
  },
  discard: {
    title: 'Discard stock',
    save: 'Save discard',
    intro: 'Stock thrown away: spoiled, expired or damaged.',
  },
};

let nextKey = 1;

/** Donations, pickups and discards share one keyboard-first form: find item, Enter, quantity, Enter, Ctrl+Enter. */
export function MovementScreen({ kind }: { kind: Kind }) {
  const store = useStore();
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
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [unknownCode, setUnknownCode] = useState<string | null>(null);
  const pickerRef = useRef<HTMLInputElement>(null);
  const quantityRefs = useRef(new Map<number, HTMLInputElement>());
  const t = TITLES[kind];
  // Focus moves to a new line's quantity in the same frame it appears, so fast typing (or a scanner) is not
  // lost to the item finder.
  const focusLine = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (focusLine.current === null) return;
    quantityRefs.current.get(focusLine.current)?.focus();
    focusLine.current = null;
  }, [lines]);

  const addItem = (item: Item, quantity = '') => {
    setSaved(null);
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
    if (busy) return;
    setBusy(true);
    setSaved(null);
    const formLines = lines.map((l) => ({
      item: l.item,
      quantity: l.quantity,
      inPacks: l.inPacks,
      ...(l.expiry ? { expiry: l.expiry } : {}),
    }));
    const common = { lines: formLines, note, at: parseLocalDateTime(when) };
    try {
      const entries =
        kind === 'donation'
          ? await store.recordDonation({ ...common, source })
          : kind === 'pickup'
            ? await store.recordPickup({ ...common, households, acknowledgeBelowZero })
            : await store.recordDiscard({ ...common, reason });
      const units = entries.reduce((s, e) => s + e.qty, 0);
      setSaved(
        `Saved ${kind}: ${entries.length} ${entries.length === 1 ? 'line' : 'lines'}, ${units.toLocaleString()} ${units === 1 ? 'unit' : 'units'}.`,
      );
      setLines([]);
      setNote('');
      setWhen('');
      setHouseholds('');
      setErrors(noErrors);
      setWarning(null);
      pickerRef.current?.focus();
    } catch (error) {
      if (error instanceof BelowZeroWarning) {
        setWarning(error);
        setErrors(noErrors);
      } else {
        setWarning(null);
        setErrors(toFormErrors(error));
      }
    } finally {
      setBusy(false);
    }
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
        <h1 id="movement-title">{t.title}</h1>
        <p className="muted">{t.intro}</p>
      </header>
      <form className="card movement" onSubmit={onSubmit} onKeyDown={onKeyDown} noValidate>
        <ItemPicker
          label="Find item"
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
            <Field label="Source" error={errors.fields.source}>
              {(p) => (
                <select {...p} value={source} onChange={(e) => setSource(e.target.value)}>
                  {DONATION_SOURCES.map((s) => (
                    <option key={s} value={s}>
                      {s[0]!.toUpperCase() + s.slice(1)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          {kind === 'pickup' && (
            <Field
              label="Households (optional)"
              error={errors.fields.households}
              hint="How many households, not who"
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
            <Field label="Reason" error={errors.fields.reason}>
              {(p) => (
                <select {...p} value={reason} onChange={(e) => setReason(e.target.value)}>
                  <option value="">Choose…</option>
                  {DISCARD_REASONS.map((r) => (
                    <option key={r} value={r}>
                      {r[0]!.toUpperCase() + r.slice(1)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <Field
            label="When"
            error={errors.fields.at}
            hint="Leave empty for now; set it when typing in a paper note"
          >
            {(p) => (
              <input {...p} type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />
            )}
          </Field>
        </div>
        <Field label="Note (optional)" error={errors.fields.note} notice={NOTE_PRIVACY}>
          {(p) => <input {...p} value={note} maxLength={600} onChange={(e) => setNote(e.target.value)} />}
        </Field>
        {warning && (
          <div className="warning" role="alert">
            <p>
              <strong>This pickup takes more than this hub has on record.</strong>
            </p>
            <ul>
              {warning.shortfalls.map((s) => (
                <li key={s.item}>
                  {s.name}: taking {s.taking}, on hand {s.onHand}
                </li>
              ))}
            </ul>
            <p>Records can be wrong. If you go ahead, these items are marked “count needed”.</p>
            <button type="button" className="primary" onClick={() => void save(true)}>
              Record anyway
            </button>{' '}
            <button type="button" onClick={() => setWarning(null)}>
              Go back
            </button>
          </div>
        )}
        {errors.summary.length > 0 && !Object.keys(errors.fields).some((f) => f.startsWith('lines')) && (
          <div className="form-error" role="alert">
            {errors.summary.map((m) => (
              <p key={m}>{m}</p>
            ))}
          </div>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {t.save}
          </button>
          <span className="hint">Ctrl+Enter saves</span>
          <span role="status" className="saved">
            {saved}
          </span>
        </div>
      </form>
    </section>
  );
}
