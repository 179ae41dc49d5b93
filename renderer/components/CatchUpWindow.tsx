import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { MAX_CATCH_UP_DAYS } from '../../shared/trust/catchUp';
import { toFormErrors } from '../app/errors';
import { useStore } from '../app/StoreContext';
import { useCommand } from '../app/useCommand';
import { useCatchUpDays } from '../data/catchUp';
import { Field } from './Field';
import { CommandStatus } from './StatusMessage';

/**
 * How long, after a lost device is revoked, the others wait where a device that was away finds the new
 * key. Waiting shows whoever holds the old key when they are online, so an admin may shorten it (0: a
 * device that was away brings a sync file instead). Other devices see the choice.
 */
export function CatchUpWindow({ admin }: { admin: boolean }) {
  const store = useStore();
  const { t } = useTranslation();
  const days = useCatchUpDays();
  // What the admin typed; until then (and once saved) the network's setting as it stands.
  const [edit, setEdit] = useState<string | null>(null);
  const text = edit ?? String(days);
  const [fieldError, setFieldError] = useState<string | undefined>(undefined);
  const command = useCommand();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFieldError(undefined);
    await command.run(() => store.setCatchUpDays({ days: text }), {
      done: (saved) => {
        setEdit(null);
        return t('members.catchUpSaved', { days: saved });
      },
      failed: (error) => {
        const errors = toFormErrors(error);
        setFieldError(errors.fields.days);
        return errors.fields.days ? '' : errors.summary.join(' ');
      },
    });
  };

  return (
    <section className="catch-up-window" aria-labelledby="catch-up-title">
      <h2 className="section-title" id="catch-up-title">
        {t('members.catchUpTitle')}
      </h2>
      <p className="muted">{t('members.catchUpLead')}</p>
      {admin ? (
        <form onSubmit={submit} noValidate aria-labelledby="catch-up-title">
          <Field label={t('members.catchUpDays')} error={fieldError}>
            {(p) => (
              <input
                {...p}
                inputMode="numeric"
                value={text}
                maxLength={3}
                size={4}
                min={0}
                max={MAX_CATCH_UP_DAYS}
                onChange={(e) => setEdit(e.target.value)}
              />
            )}
          </Field>
          <div className="actions">
            <button type="submit" disabled={command.busy}>
              {t('members.catchUpSave')}
            </button>
            <CommandStatus command={command} />
          </div>
        </form>
      ) : (
        <p>{t('members.catchUpShown', { days })}</p>
      )}
    </section>
  );
}
