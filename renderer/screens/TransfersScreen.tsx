import { useLiveQuery } from 'dexie-react-hooks';
import { useId, useMemo, useState, type FormEvent } from 'react';
import type { Item } from '../../shared/catalog';
import { transferViews, type TransferView } from '../../shared/transfers';
import { useStore } from '../app/StoreContext';
import { useItems } from '../app/hooks';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { formatDateTime } from '../app/time';
import { Field } from '../components/Field';
import { ItemPicker } from '../components/ItemPicker';
import { NOTE_PRIVACY } from '../components/notes';

const STATUS_CLASS: Record<TransferView['status'], string> = {
  requested: 'status-count',
  'in transit': 'status-expiring',
  received: 'status-ok',
  discrepancy: 'status-out',
  settled: 'status-ok',
  cancelled: 'status-unstocked',
};

/**
 * Stock moving between hubs, with its two sides: the sender records what it sent (it leaves its stock
 * at once and shows as in transit), the receiver what arrived. A difference stays visible on both sides
 * until someone settles it with a note.
 */
export function TransfersScreen() {
  const store = useStore();
  const self = store.self!;
  const coordinator = self.role === 'coordinator';
  const items = useItems();
  const hubs = useLiveQuery(() => store.db.hubs.toArray(), []);
  const rows = useLiveQuery(() => store.db.ledger.where('root').above('').toArray(), []);
  const transfers = useMemo(() => transferViews(rows ?? []), [rows]);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const hubName = (id: string) => hubs?.find((h) => h.id === id)?.name ?? id;
  const itemById = new Map((items ?? []).map((i) => [i.id, i]));
  const itemName = (id: string) => itemById.get(id)?.name ?? id;
  const mine = (hub: string) => coordinator || hub === self.hubId;
  const describe = (t: TransferView) => `${itemName(t.item)}, ${hubName(t.from)} to ${hubName(t.to)}`;

  const run = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      setMessage({ text: done, error: false });
      return true;
    } catch (e) {
      setMessage({ text: toFormErrors(e).summary.join(' '), error: true });
      return false;
    }
  };

  const toSend = transfers.filter((t) => t.status === 'requested' && mine(t.from));
  const incoming = transfers.filter((t) => t.status === 'in transit' && mine(t.to));
  const toSettle = transfers.filter((t) => t.status === 'discrepancy' && (mine(t.to) || mine(t.from)));

  return (
    <section aria-labelledby="transfers-title">
      <header className="screen-header">
        <h1 id="transfers-title">Transfers</h1>
        <p className="muted">
          Stock moving between hubs. A send leaves the sender’s stock at once and is in transit until the
          other hub records what arrived.
        </p>
      </header>
      <p role="status" className={message?.error ? 'form-error' : 'saved'}>
        {message?.text}
      </p>
      <div className="sync-grid">
        {(toSend.length > 0 || !coordinator) && (
          <section className="card" aria-labelledby="to-send-title">
            <h2 id="to-send-title">To send</h2>
            {toSend.length === 0 ? (
              <p className="muted">No transfer has been asked of this hub.</p>
            ) : (
              toSend.map((t) => (
                <QuantityAction
                  key={t.id}
                  label={`Quantity sent (${describe(t)})`}
                  summary={`${t.requested?.qty} ${itemName(t.item)} asked for ${hubName(t.to)}`}
                  initial={String(t.requested?.qty ?? '')}
                  button="Mark sent"
                  onSubmit={(q) =>
                    run(
                      () =>
                        store.sendTransfer({
                          item: t.item,
                          to: t.to,
                          quantity: q,
                          request: t.id,
                          from: t.from,
                        }),
                      `Saved: sent ${q} ${itemName(t.item)} to ${hubName(t.to)}.`,
                    )
                  }
                />
              ))
            )}
          </section>
        )}
        <section className="card" aria-labelledby="incoming-title">
          <h2 id="incoming-title">Incoming</h2>
          {incoming.length === 0 ? (
            <p className="muted">Nothing on its way{coordinator ? '' : ' to this hub'}.</p>
          ) : (
            incoming.map((t) => (
              <QuantityAction
                key={t.id}
                label={`Quantity received (${describe(t)})`}
                summary={`${t.sent?.qty} ${itemName(t.item)} sent by ${hubName(t.from)}${coordinator ? ` to ${hubName(t.to)}` : ''}`}
                initial={String(t.sent?.qty ?? '')}
                button="Record received"
                onSubmit={(q) =>
                  run(
                    () => store.receiveTransfer(t.id, q),
                    `Saved: received ${q} ${itemName(t.item)} from ${hubName(t.from)}.`,
                  )
                }
              />
            ))
          )}
        </section>
        {toSettle.length > 0 && (
          <section className="card" aria-labelledby="settle-title">
            <h2 id="settle-title">Differences to settle</h2>
            {toSettle.map((t) => (
              <SettleAction
                key={t.id}
                transfer={t}
                label={`What happened (${describe(t)})`}
                summary={`${hubName(t.from)} sent ${t.sent?.qty ?? 'nothing recorded'}, ${hubName(t.to)} received ${t.received?.qty}: ${t.difference > 0 ? '+' : ''}${t.difference}`}
                onSubmit={(note) => run(() => store.settleTransfer(t.id, note), 'Saved: difference settled.')}
              />
            ))}
          </section>
        )}
        {!coordinator && self.hubId && (
          <NewSend
            items={(items ?? []) as Item[]}
            hubs={(hubs ?? []).filter((h) => h.id !== self.hubId)}
            onDone={setMessage}
          />
        )}
      </div>
      <h2 className="section-title">All transfers</h2>
      {transfers.length === 0 ? (
        <p className="empty">No transfers yet.</p>
      ) : (
        <table className="data" aria-label="All transfers">
          <thead>
            <tr>
              <th scope="col">Item</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col" className="num">
                Asked
              </th>
              <th scope="col" className="num">
                Sent
              </th>
              <th scope="col" className="num">
                Received
              </th>
              <th scope="col">Status</th>
              <th scope="col">Last change</th>
            </tr>
          </thead>
          <tbody>
            {transfers.map((t) => (
              <tr key={t.id}>
                <th scope="row">{itemName(t.item)}</th>
                <td>{hubName(t.from)}</td>
                <td>{hubName(t.to)}</td>
                <td className="num">{t.requested?.qty ?? '—'}</td>
                <td className="num">{t.sent?.qty ?? '—'}</td>
                <td className="num">{t.received?.qty ?? '—'}</td>
                <td>
                  <span className={`status ${STATUS_CLASS[t.status]}`}>{t.status}</span>
                  {t.status === 'discrepancy' && (
                    <span className="neg strong">
                      {' '}
                      {t.difference > 0 ? '+' : ''}
                      {t.difference}
                    </span>
                  )}
                  {t.settled && <span className="muted"> “{t.settled.note}”</span>}
                </td>
                <td className="muted">
                  {formatDateTime(
                    Math.max(t.requested?.at ?? 0, t.sent?.at ?? 0, t.received?.at ?? 0, t.settled?.at ?? 0),
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function QuantityAction(props: {
  label: string;
  summary: string;
  initial: string;
  button: string;
  onSubmit: (quantity: string) => Promise<boolean>;
}) {
  const [quantity, setQuantity] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="transfer-action"
      noValidate
      onSubmit={async (e: FormEvent) => {
        e.preventDefault();
        setBusy(true);
        await props.onSubmit(quantity);
        setBusy(false);
      }}
    >
      <p>{props.summary}</p>
      <div className="inline-form">
        <div className="field">
          <label htmlFor={props.label}>{props.label}</label>
          <input
            id={props.label}
            inputMode="numeric"
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {props.button}
        </button>
      </div>
    </form>
  );
}

function SettleAction(props: {
  transfer: TransferView;
  label: string;
  summary: string;
  onSubmit: (note: string) => Promise<boolean>;
}) {
  const [note, setNote] = useState('');
  const noticeId = useId();
  return (
    <form
      className="transfer-action"
      noValidate
      onSubmit={async (e: FormEvent) => {
        e.preventDefault();
        if (await props.onSubmit(note)) setNote('');
      }}
    >
      <p>{props.summary}</p>
      <div className="inline-form">
        <div className="field">
          <label htmlFor={props.label}>{props.label}</label>
          <input
            id={props.label}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder="2 bags torn on the way"
            aria-describedby={noticeId}
          />
          <span className="hint field-notice" id={noticeId}>
            {NOTE_PRIVACY}
          </span>
        </div>
        <button type="submit">Settle difference</button>
      </div>
    </form>
  );
}

/** A hub sends stock nobody asked for: "sent N of X to hub B". */
function NewSend({
  items,
  hubs,
  onDone,
}: {
  items: Item[];
  hubs: { id: string; name: string }[];
  onDone: (m: { text: string; error: boolean }) => void;
}) {
  const store = useStore();
  const [item, setItem] = useState<Item | null>(null);
  const [to, setTo] = useState('');
  const [quantity, setQuantity] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      if (!item) throw new Error('Choose an item');
      await store.sendTransfer({ item: item.id, to, quantity });
      onDone({
        text: `Saved: sent ${quantity} ${item.name} to ${hubs.find((h) => h.id === to)?.name ?? to}.`,
        error: false,
      });
      setItem(null);
      setQuantity('');
      setErrors(noErrors);
    } catch (error) {
      setErrors(toFormErrors(error));
    }
  };
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-send-title">
      <h2 id="new-send-title">Send stock to another hub</h2>
      {item ? (
        <p>
          Item: <strong>{item.name}</strong>{' '}
          <button type="button" className="link" onClick={() => setItem(null)}>
            Change
          </button>
        </p>
      ) : (
        <ItemPicker label="Item to send" items={items} onPick={setItem} error={errors.fields.item} />
      )}
      <Field label="To hub" error={errors.fields.to}>
        {(p) => (
          <select {...p} value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">Choose…</option>
            {hubs.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Quantity to send" error={errors.fields.quantity}>
        {(p) => (
          <input {...p} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />
        )}
      </Field>
      {errors.summary.length > 0 && Object.keys(errors.fields).length === 0 && (
        <p className="form-error" role="alert">
          {errors.summary.join(' ')}
        </p>
      )}
      <button type="submit" className="primary">
        Record send
      </button>
    </form>
  );
}
