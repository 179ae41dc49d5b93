import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useStore } from '../app/StoreContext';
import { domainText } from '../app/domainText';
import { noErrors, sayBeyondFields, type FormErrors } from '../app/errors';
import { parseInvite } from '../../shared/sync/invite';
import { Field } from '../components/Field';
import { StatusMessage } from '../components/StatusMessage';
import { useCommand } from '../app/useCommand';
import { QrScanner } from '../components/QrScanner';
import { LanguagePicker } from '../i18n/LanguagePicker';

/** What the scanner says about a QR code that is not a usable invite (it keeps scanning). */
const checkScannedInvite =
  (t: TFunction) =>
  (text: string): string | null => {
    const parsed = parseInvite(text);
    if (parsed.ok) return null;
    if (!text.trim().startsWith('LARDER')) return t('setup.scanNotInvite');
    return t('setup.scanUnusable', { reason: domainText(parsed.message) });
  };

/**
 * First start: either start a new network (made here, on this device, with no server) or join one
 * with an invite code from another device.
 */
export function SetupScreen({ onDone }: { onDone: () => void }) {
  const store = useStore();
  const { t } = useTranslation();
  const [mode, setMode] = useState<'new' | 'join'>('new');
  const [hubName, setHubName] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [invite, setInvite] = useState('');
  const [asCoordinator, setAsCoordinator] = useState(false);
  const [scanning, setScanning] = useState(false);
  const [scanned, setScanned] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const command = useCommand();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (command.busy) return;
    command.clear();
    await command.run(
      () =>
        mode === 'new'
          ? store.createNetwork({ hubName, deviceName })
          : store.joinNetwork({ invite, deviceName, asCoordinator }),
      {
        done: () => {
          setErrors(noErrors);
          onDone();
          return null;
        },
        // A field's message shows at its field (once); the status line says the rest, e.g. a failure
        // that names no field (which this screen used to leave unsaid).
        failed: sayBeyondFields(setErrors, (field) =>
          (mode === 'new' ? ['hubName', 'deviceName'] : ['invite', 'deviceName']).includes(field),
        ),
      },
    );
  };

  return (
    <main className="setup">
      <form className="card setup-card" onSubmit={(e) => void submit(e)} noValidate>
        <LanguagePicker />
        <h1>{t('setup.title')}</h1>
        <p className="lead">{t('setup.lead')}</p>
        <fieldset className="choice">
          <legend>{t('setup.thisDevice')}</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'new'} onChange={() => setMode('new')} />{' '}
            {t('setup.startNew')}
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'join'} onChange={() => setMode('join')} />{' '}
            {t('setup.join')}
          </label>
        </fieldset>
        {mode === 'new' ? (
          <Field label={t('setup.hubName')} error={errors.fields.hubName} hint={t('setup.hubNameHint')}>
            {(props) => (
              <input {...props} value={hubName} onChange={(e) => setHubName(e.target.value)} autoFocus />
            )}
          </Field>
        ) : (
          <Field label={t('setup.invite')} error={errors.fields.invite} hint={t('setup.inviteHint')}>
            {(props) => (
              <textarea
                {...props}
                rows={4}
                value={invite}
                onChange={(e) => {
                  setInvite(e.target.value);
                  setScanned(false);
                }}
                autoFocus
              />
            )}
          </Field>
        )}
        {mode === 'join' &&
          (scanning ? (
            <QrScanner
              check={checkScannedInvite(t)}
              onRead={(text) => {
                setInvite(text);
                setScanned(true);
                setScanning(false);
              }}
              onClose={() => setScanning(false)}
            />
          ) : (
            <div className="actions scan-invite">
              <button type="button" onClick={() => setScanning(true)}>
                {t('setup.scan')}
              </button>
              {scanned && (
                <p role="status" className="saved">
                  {t('setup.scanned')}
                </p>
              )}
            </div>
          ))}
        <Field
          label={t('setup.deviceName')}
          error={errors.fields.deviceName}
          hint={t('setup.deviceNameHint')}
        >
          {(props) => <input {...props} value={deviceName} onChange={(e) => setDeviceName(e.target.value)} />}
        </Field>
        {mode === 'join' && (
          <label className="check">
            <input
              type="checkbox"
              checked={asCoordinator}
              onChange={(e) => setAsCoordinator(e.target.checked)}
            />{' '}
            {t('setup.asCoordinator')}
          </label>
        )}
        <StatusMessage message={command.message} />
        <button type="submit" className="primary" disabled={command.busy}>
          {mode === 'new' ? t('setup.create') : t('setup.joinButton')}
        </button>
        <p className="hint">{mode === 'new' ? t('setup.newHint') : t('setup.joinHint')}</p>
      </form>
    </main>
  );
}
