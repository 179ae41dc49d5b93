import { useHubLookup } from '../data/hubs';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../app/StoreContext';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import type { HubRow } from '../storage/db';
import { Field } from './Field';
import { CommandStatus } from './StatusMessage';
import { useCommand } from '../app/useCommand';
import { useSelf } from '../data/self';

/**
 * A hub's name and address, and whether needs lists show the address. This device's hub, or, on a
 * coordinator's device, the hub given. Hub settings sync like the rest: the last edit wins.
 */
export function HubSettings({ hub }: { hub?: string }) {
  const { t } = useTranslation();
  const ownHub = useSelf()?.hubId ?? null;
  const id = hub ?? ownHub;
  // Wrapped, so "still loading" (undefined) differs from "no such hub" (row undefined).
  const found = useHubLookup(id);
  if (!id) return null;
  if (!found) return <p className="muted">{t('hubSettings.loading')}</p>;
  if (!found.row) return <p className="muted">{t('hubSettings.notArrived')}</p>;
  return <HubSettingsForm key={id} row={found.row} actingFor={hub} />;
}

function HubSettingsForm({ row, actingFor }: { row: HubRow; actingFor?: string }) {
  const store = useStore();
  const { t } = useTranslation();
  const [name, setName] = useState(row.name);
  const [address, setAddress] = useState(row.address ?? '');
  const [publish, setPublish] = useState(row.publishAddress === true);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const command = useCommand();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    command.clear();
    await command.run(() => store.updateHub({ name, address, publishAddress: publish }, actingFor), {
      done: () => {
        setErrors(noErrors);
        return publish && address.trim() ? t('hubSettings.savedShown') : t('hubSettings.savedHidden');
      },
      // A field's message shows at the field (once); the status line says what concerns no field.
      failed: (error) => {
        const found = toFormErrors(error);
        setErrors(found);
        return found.fields.name || found.fields.address ? '' : found.summary.join(' ');
      },
    });
  };
  return (
    <form
      className="hub-settings"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={t('hubSettings.label')}
    >
      <Field label={t('hubSettings.name')} error={errors.fields.name}>
        {(p) => <input {...p} value={name} maxLength={80} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <Field
        label={t('hubSettings.address')}
        error={errors.fields.address}
        hint={t('hubSettings.addressHint')}
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
        <input type="checkbox" checked={publish} onChange={(e) => setPublish(e.target.checked)} />{' '}
        {t('hubSettings.publish')}
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={command.busy}>
          {t('hubSettings.save')}
        </button>
        <CommandStatus command={command} />
      </div>
    </form>
  );
}
