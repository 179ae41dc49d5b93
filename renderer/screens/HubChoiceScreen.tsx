import { useHubs } from '../data/hubs';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../app/StoreContext';
import { useSyncStatus } from '../app/SyncContext';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { Field } from '../components/Field';
import { StatusMessage } from '../components/StatusMessage';
import { useCommand } from '../app/useCommand';

/** A device that just joined picks its hub: one of the network's (they arrive with the first sync) or a new one. */
export function HubChoiceScreen({ onDone }: { onDone: () => void }) {
  const store = useStore();
  const { t } = useTranslation();
  const status = useSyncStatus();
  const hubs = useHubs() ?? [];
  const [choice, setChoice] = useState<string>('new');
  const [newHubName, setNewHubName] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const command = useCommand();

  // Busy while it saves, so a second click cannot make a second hub.
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (command.busy) return;
    command.clear();
    await command.run(() => store.chooseHub(choice === 'new' ? { newHubName } : { hubId: choice }), {
      done: () => {
        setErrors(noErrors);
        onDone();
        return null;
      },
      // The name's message shows at its field (once); the status line says what concerns no field.
      failed: (error) => {
        const found = toFormErrors(error);
        setErrors(found);
        return found.fields.newHubName && choice === 'new' ? '' : found.summary.join(' ');
      },
    });
  };

  return (
    <main className="setup">
      <form className="card setup-card" onSubmit={(e) => void submit(e)} noValidate>
        <h1>{t('hubChoice.title')}</h1>
        <p className="lead">
          {status.connected > 0
            ? t('hubChoice.connected', { count: status.connected })
            : hubs.length > 0
              ? t('hubChoice.arrived')
              : t('hubChoice.waiting')}
        </p>
        <fieldset className="choice">
          <legend>{t('hubChoice.hub')}</legend>
          {hubs.map((h) => (
            <label key={h.id}>
              <input type="radio" name="hub" checked={choice === h.id} onChange={() => setChoice(h.id)} />{' '}
              {h.name}
            </label>
          ))}
          <label>
            <input type="radio" name="hub" checked={choice === 'new'} onChange={() => setChoice('new')} />{' '}
            {t('hubChoice.newHub')}
          </label>
        </fieldset>
        {choice === 'new' && (
          <Field label={t('hubChoice.newHubName')} error={errors.fields.newHubName}>
            {(p) => (
              <input {...p} value={newHubName} onChange={(e) => setNewHubName(e.target.value)} autoFocus />
            )}
          </Field>
        )}
        <StatusMessage message={command.message} />
        <button type="submit" className="primary" disabled={command.busy}>
          {t('hubChoice.continue')}
        </button>
      </form>
    </main>
  );
}
