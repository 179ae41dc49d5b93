import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Item } from '../../shared/catalog';
import { BelowZeroWarning } from '../../shared/commands';
import { transferViews, type TransferView } from '../../shared/transfers';
import { useStore } from '../app/StoreContext';
import { useItems } from '../data/catalog';
import { useTransferEntries } from '../data/history';
import { useHubs } from '../data/hubs';
import { noErrors, sayBeyondFields, type FormErrors } from '../app/errors';
import { useFormat } from '../i18n/format';
import { Field } from '../components/Field';
import { ItemPicker } from '../components/ItemPicker';
import { useCommand, type StatusText } from '../app/useCommand';
import { CommandStatus } from '../components/StatusMessage';
import { useSelf } from '../data/self';

/** A transfer's state as shown (catalog keys). */
const STATUS_LABEL = {
  requested: 'transferStatus.requested',
  'in transit': 'transferStatus.inTransit',
  received: 'transferStatus.received',
  discrepancy: 'transferStatus.discrepancy',
  settled: 'transferStatus.settled',
  cancelled: 'transferStatus.cancelled',
} as const satisfies Record<TransferView['status'], string>;

const STATUS_CLASS: Record<TransferView['status'], string> = {
  requested: 'status-count',
  'in transit': 'status-expiring',
  received: 'status-ok',
  discrepancy: 'status-out',
  settled: 'status-ok',
  cancelled: 'status-unstocked',
};

/** The part of the screen a form sits in, where its status line is (the form itself may be gone once done). */
type Place = 'toSend' | 'incoming' | 'settle' | 'newSend';

/** Where a transfer form shows what went wrong: its fields' errors, at the fields it has, and its place. */
interface FormReport {
  place: Place;
  shows: ReadonlySet<string>;
  setErrors: (errors: FormErrors) => void;
  /** A send of more than the hub has on record was refused: the form offers to send anyway. */
  warned?: () => void;
}

/** Rows of the table of all transfers shown at first, and added by each press of "Show older transfers". */
const TRANSFERS_PAGE = 100;

/**
 * Stock moving between hubs, with its two sides: the sender records what it sent (it leaves its stock
 * at once and shows as in transit), the receiver what arrived. A difference stays visible on both sides
 * until someone settles it with a note.
 */
export function TransfersScreen() {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const self = useSelf()!;
  const coordinator = self.role === 'coordinator';
  const items = useItems();
  const hubs = useHubs();
  // The table: the newest first, a page at a time (a year of a city network's transfers is thousands: at a
  // million entries, 7,900 rows took 2.4-2.7 s to show). The cards: the open ones, however old.
  const [shown, setShown] = useState(TRANSFERS_PAGE);
  const entries = useTransferEntries(shown);
  const transfers = useMemo(() => transferViews(entries?.newest ?? []), [entries?.newest]);
  const open = useMemo(() => transferViews(entries?.open ?? []), [entries?.open]);
  const command = useCommand();
  // Which part of the screen asked last: its status line says what happened, next to the form used (a
  // line at the top of the page sat a screen away from the new send on a phone).
  const [asker, setAsker] = useState<Place | null>(null);
  const said = (place: Place) => (asker === place ? command.message : null);
  // A part's status line, and while its action runs what that waits for (CommandStatus).
  const statusOf = (place: Place) => ({ busy: command.busy && asker === place, message: said(place) });

  const hubName = (id: string) => hubs?.find((h) => h.id === id)?.name ?? id;
  const itemById = new Map((items ?? []).map((i) => [i.id, i]));
  const itemName = (id: string) => itemById.get(id)?.name ?? id;
  const mine = (hub: string) => coordinator || hub === self.hubId;
  const describe = (v: TransferView) =>
    t('transfers.describe', { item: itemName(v.item), from: hubName(v.from), to: hubName(v.to) });
  const qty = (n: number | undefined) => (n === undefined ? '—' : format.number(n));

  // One action at a time on this screen (every action's button is disabled while one runs). A field's error
  // shows at its field in the form that asked, once; the status line of the part it sits in says the rest,
  // or what was saved once the store's save resolved.
  const run = (action: () => Promise<unknown>, done: string, form: FormReport) => {
    if (command.busy) return Promise.resolve(false);
    setAsker(form.place);
    return command.run(action, {
      done: () => {
        form.setErrors(noErrors);
        return done;
      },
      failed: (error) => {
        const said = sayBeyondFields(form.setErrors, (f) => form.shows.has(f))(error);
        if (!(error instanceof BelowZeroWarning)) return said;
        form.warned?.();
        return `${said}. ${t('transfers.belowZeroAdvice')}`;
      },
    });
  };

  const toSend = open.filter((v) => v.status === 'requested' && mine(v.from));
  const incoming = open.filter((v) => v.status === 'in transit' && mine(v.to));
  const toSettle = open.filter((v) => v.status === 'discrepancy' && (mine(v.to) || mine(v.from)));

  return (
    <section aria-labelledby="transfers-title">
      <header className="screen-header">
        <h1 id="transfers-title">{t('nav.transfers')}</h1>
        <p className="muted">{t('transfers.lead')}</p>
      </header>
      <div className="sync-grid">
        {(toSend.length > 0 || !coordinator || said('toSend')) && (
          <section className="card" aria-labelledby="to-send-title">
            <h2 id="to-send-title">{t('transfers.toSend')}</h2>
            {toSend.length === 0 ? (
              <p className="muted">{t('transfers.noneAsked')}</p>
            ) : (
              toSend.map((v) => (
                <QuantityAction
                  key={v.id}
                  label={t('transfers.quantitySent', { what: describe(v) })}
                  summary={t('transfers.askedSummary', {
                    qty: qty(v.requested?.qty),
                    item: itemName(v.item),
                    hub: hubName(v.to),
                  })}
                  place="toSend"
                  initial={String(v.requested?.qty ?? '')}
                  button={t('transfers.markSent')}
                  anywayButton={t('transfers.sendAnyway')}
                  busy={command.busy}
                  onSubmit={(q, form, anyway) =>
                    run(
                      () =>
                        store.sendTransfer({
                          item: v.item,
                          to: v.to,
                          quantity: q,
                          request: v.id,
                          from: v.from,
                          acknowledgeBelowZero: anyway,
                        }),
                      t('transfers.savedSent', { qty: q, item: itemName(v.item), hub: hubName(v.to) }),
                      form,
                    )
                  }
                />
              ))
            )}
            <CommandStatus command={statusOf('toSend')} early duringRebuild />
          </section>
        )}
        <section className="card" aria-labelledby="incoming-title">
          <h2 id="incoming-title">{t('transfers.incoming')}</h2>
          {incoming.length === 0 ? (
            <p className="muted">
              {coordinator ? t('transfers.nothingComing') : t('transfers.nothingComingHere')}
            </p>
          ) : (
            incoming.map((v) => (
              <QuantityAction
                key={v.id}
                label={t('transfers.quantityReceived', { what: describe(v) })}
                summary={
                  coordinator
                    ? t('transfers.sentSummaryTo', {
                        qty: qty(v.sent?.qty),
                        item: itemName(v.item),
                        from: hubName(v.from),
                        to: hubName(v.to),
                      })
                    : t('transfers.sentSummary', {
                        qty: qty(v.sent?.qty),
                        item: itemName(v.item),
                        from: hubName(v.from),
                      })
                }
                place="incoming"
                initial={String(v.sent?.qty ?? '')}
                button={t('transfers.recordReceived')}
                busy={command.busy}
                onSubmit={(q, form) =>
                  run(
                    () => store.receiveTransfer(v.id, q),
                    t('transfers.savedReceived', { qty: q, item: itemName(v.item), hub: hubName(v.from) }),
                    form,
                  )
                }
              />
            ))
          )}
          <CommandStatus command={statusOf('incoming')} early duringRebuild />
        </section>
        {(toSettle.length > 0 || said('settle')) && (
          <section className="card" aria-labelledby="settle-title">
            <h2 id="settle-title">{t('transfers.toSettle')}</h2>
            {toSettle.map((v) => (
              <SettleAction
                key={v.id}
                transfer={v}
                label={t('transfers.whatHappened', { what: describe(v) })}
                summary={t('transfers.differenceSummary', {
                  from: hubName(v.from),
                  sent: v.sent ? format.number(v.sent.qty) : t('transfers.nothingRecorded'),
                  to: hubName(v.to),
                  received: qty(v.received?.qty),
                  difference: format.number(v.difference, { signDisplay: 'exceptZero' }),
                })}
                busy={command.busy}
                onSubmit={(note, form) =>
                  run(() => store.settleTransfer(v.id, note), t('transfers.savedSettled'), form)
                }
              />
            ))}
            <CommandStatus command={statusOf('settle')} early duringRebuild />
          </section>
        )}
        {!coordinator && self.hubId && (
          <NewSend
            items={(items ?? []) as Item[]}
            hubs={(hubs ?? []).filter((h) => h.id !== self.hubId)}
            busy={command.busy}
            run={run}
            clear={command.clear}
            status={statusOf('newSend')}
          />
        )}
      </div>
      <h2 className="section-title">{t('transfers.all')}</h2>
      {transfers.length === 0 ? (
        <p className="empty">{t('transfers.none')}</p>
      ) : (
        <div className="table-scroll">
          <table className="data" aria-label={t('transfers.all')}>
            <thead>
              <tr>
                <th scope="col">{t('lines.item')}</th>
                <th scope="col">{t('history.fromDate')}</th>
                <th scope="col">{t('history.toDate')}</th>
                <th scope="col" className="num">
                  {t('transfers.asked')}
                </th>
                <th scope="col" className="num">
                  {t('transfers.sent')}
                </th>
                <th scope="col" className="num">
                  {t('transfers.received')}
                </th>
                <th scope="col">{t('stock.colStatus')}</th>
                <th scope="col">{t('transfers.lastChange')}</th>
              </tr>
            </thead>
            <tbody>
              {transfers.map((v) => (
                <tr key={v.id}>
                  <th scope="row">{itemName(v.item)}</th>
                  <td>{hubName(v.from)}</td>
                  <td>{hubName(v.to)}</td>
                  <td className="num">{qty(v.requested?.qty)}</td>
                  <td className="num">{qty(v.sent?.qty)}</td>
                  <td className="num">{qty(v.received?.qty)}</td>
                  <td>
                    <span className={`status ${STATUS_CLASS[v.status]}`}>{t(STATUS_LABEL[v.status])}</span>
                    {v.status === 'discrepancy' && (
                      <span className="neg strong">
                        {' '}
                        {format.number(v.difference, { signDisplay: 'exceptZero' })}
                      </span>
                    )}
                    {v.settled && <span className="muted"> “{v.settled.note}”</span>}
                  </td>
                  <td className="muted">
                    {format.dateTime(
                      Math.max(
                        v.requested?.at ?? 0,
                        v.sent?.at ?? 0,
                        v.received?.at ?? 0,
                        v.settled?.at ?? 0,
                      ),
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {entries?.more && (
        <button type="button" onClick={() => setShown(shown + TRANSFERS_PAGE)}>
          {t('transfers.older')}
        </button>
      )}
    </section>
  );
}

const QUANTITY_FIELDS: ReadonlySet<string> = new Set(['quantity']);

/** Sending what was asked, or receiving what was sent: one quantity. */
function QuantityAction(props: {
  label: string;
  place: Place;
  summary: string;
  initial: string;
  button: string;
  /** Offered after a send of more than the hub has on record was refused (sends only). */
  anywayButton?: string;
  busy: boolean;
  onSubmit: (quantity: string, form: FormReport, anyway: boolean) => Promise<boolean>;
}) {
  const [quantity, setQuantity] = useState(props.initial);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  // The quantity a refused send was for: sending that quantity again goes ahead.
  const [warnedFor, setWarnedFor] = useState<string | null>(null);
  const anyway = props.anywayButton !== undefined && warnedFor === quantity;
  return (
    <form
      className="transfer-action"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        const asked = quantity;
        void props.onSubmit(
          quantity,
          { place: props.place, shows: QUANTITY_FIELDS, setErrors, warned: () => setWarnedFor(asked) },
          anyway,
        );
      }}
    >
      <p>{props.summary}</p>
      <div className="inline-form">
        <Field label={props.label} error={errors.fields.quantity}>
          {(p) => (
            <input
              {...p}
              inputMode="numeric"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="primary" disabled={props.busy}>
          {anyway ? props.anywayButton : props.button}
        </button>
      </div>
    </form>
  );
}

const SETTLE_FIELDS: ReadonlySet<string> = new Set(['note']);

/** Settling a difference: what happened, in a note every hub reads. */
function SettleAction(props: {
  transfer: TransferView;
  label: string;
  summary: string;
  busy: boolean;
  onSubmit: (note: string, form: FormReport) => Promise<boolean>;
}) {
  const { t } = useTranslation();
  const [note, setNote] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  return (
    <form
      className="transfer-action"
      noValidate
      onSubmit={async (e: FormEvent) => {
        e.preventDefault();
        if (await props.onSubmit(note, { place: 'settle', shows: SETTLE_FIELDS, setErrors })) setNote('');
      }}
    >
      <p>{props.summary}</p>
      <div className="inline-form">
        <Field label={props.label} error={errors.fields.note} notice={t('notes.privacy')}>
          {(p) => (
            <input
              {...p}
              value={note}
              onChange={(e) => setNote(e.target.value)}
              placeholder={t('transfers.settlePlaceholder')}
            />
          )}
        </Field>
        <button type="submit" disabled={props.busy}>
          {t('transfers.settle')}
        </button>
      </div>
    </form>
  );
}

// The item finder is gone once an item is chosen, so what the store says about the item goes to the status line.
const SEND_FIELDS: ReadonlySet<string> = new Set(['to', 'quantity']);

/** A hub sends stock nobody asked for: "sent N of X to hub B". */
function NewSend({
  items,
  hubs,
  busy,
  run,
  clear,
  status,
}: {
  items: Item[];
  hubs: { id: string; name: string }[];
  busy: boolean;
  run: (action: () => Promise<unknown>, done: string, form: FormReport) => Promise<boolean>;
  clear: () => void;
  /** This form's status: its send running, and what it said. */
  status: { busy: boolean; message: StatusText | null };
}) {
  const store = useStore();
  const { t } = useTranslation();
  const [item, setItem] = useState<Item | null>(null);
  const [to, setTo] = useState('');
  const [quantity, setQuantity] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  // The send a refusal was for (more than the hub has on record): the same send again goes ahead.
  const [warnedFor, setWarnedFor] = useState<string | null>(null);
  const asked = `${item?.id ?? ''}|${to}|${quantity}`;
  const anyway = warnedFor === asked;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (!item) {
      clear();
      setErrors({ fields: { item: t('transfers.chooseItem') }, summary: [t('transfers.chooseItem')] });
      return;
    }
    const hub = hubs.find((h) => h.id === to)?.name ?? to;
    const sent = await run(
      () => store.sendTransfer({ item: item.id, to, quantity, acknowledgeBelowZero: anyway }),
      t('transfers.savedSent', { qty: quantity, item: item.name, hub }),
      { place: 'newSend', shows: SEND_FIELDS, setErrors, warned: () => setWarnedFor(asked) },
    );
    if (sent) {
      setItem(null);
      setQuantity('');
    }
  };
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-send-title">
      <h2 id="new-send-title">{t('transfers.newSend')}</h2>
      {item ? (
        <p>
          {t('transfers.itemLabel')} <strong>{item.name}</strong>{' '}
          <button type="button" className="link" onClick={() => setItem(null)}>
            {t('transfers.change')}
          </button>
        </p>
      ) : (
        <ItemPicker
          label={t('transfers.itemToSend')}
          items={items}
          onPick={setItem}
          error={errors.fields.item}
        />
      )}
      <Field label={t('transfers.toHub')} error={errors.fields.to}>
        {(p) => (
          <select {...p} value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">{t('transfers.choose')}</option>
            {hubs.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t('transfers.quantityToSend')} error={errors.fields.quantity}>
        {(p) => (
          <input {...p} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />
        )}
      </Field>
      <button type="submit" className="primary" disabled={busy}>
        {anyway ? t('transfers.sendAnyway') : t('transfers.recordSend')}
      </button>
      <CommandStatus command={status} early duringRebuild />
    </form>
  );
}
