import { useLiveQuery } from 'dexie-react-hooks';
import { useState, type FormEvent } from 'react';
import { useStore } from '../app/StoreContext';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import type { HubRow } from '../storage/db';
import { Field } from './Field';

/**
 * A hub's name and address, and whether needs lists show the address. This device's hub, or, on a
 * coordinator's device, the hub given. Hub settings sync like the rest: the last edit wins.
 */
export function HubSettings({ hub }: { hub?: string }) {
  const store = useStore();
  const id = hub ?? store.self?.hubId ?? null;
  // Wrapped, so "still loading" (undefined) differs from "no such hub" (row undefined).
  const found = useLiveQuery(async () => ({ row: id ? await store.db.hubs.get(id) : undefined }), [id]);
  if (!id) return null;
  if (!found) return <p className="muted">Loading hub details…</p>;
  if (!found.row) return <p className="muted">This hub’s details have not arrived on this device yet.</p>;
  return <HubSettingsForm key={id} row={found.row} actingFor={hub} />;
}

function HubSettingsForm({ row, actingFor }: { row: HubRow; actingFor?: string }) {
  const store = useStore();
  const [name, setName] = useState(row.name);
  const [address, setAddress] = useState(row.address ?? '');
  const [publish, setPublish] = useState(row.publishAddress === true);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setSaved(null);
    try {
      await store.updateHub({ name, address, publishAddress: publish }, actingFor);
      setErrors(noErrors);
      setSaved(
        publish && address.trim()
          ? 'Saved. Needs lists show this address.'
          : 'Saved. Needs lists do not show an address.',
      );
    } catch (error) {
      setErrors(toFormErrors(error));
    } finally {
      setBusy(false);
    }
  };

  const formError = errors.summary.length > 0 && !errors.fields.name && !errors.fields.address;
  return (
    <form className="hub-settings" onSubmit={submit} noValidate aria-label="Hub details">
      <Field label="Hub name" error={errors.fields.name}>
        {(p) => <input {...p} value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label="Address (optional)"
        error={errors.fields.address}
        hint="Where donors can bring things. Private unless you tick the box below."
      >
        {(p) => (
          <input
            {...p}
            value={address}
            maxLength={200}
            autoComplete="street-address"
            onChange={(e) => setAddress(e.target.value)}
          />
        )}
      </Field>
      <label className="checkbox">
        <input type="checkbox" checked={publish} onChange={(e) => setPublish(e.target.checked)} /> Show this
        address on needs lists
      </label>
      {formError && (
        <p role="alert" className="form-error">
          {errors.summary.join(' ')}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          Save hub details
        </button>
        <p role="status" className="saved">
          {saved}
        </p>
      </div>
    </form>
  );
}
