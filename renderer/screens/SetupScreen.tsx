import { useState, type FormEvent } from 'react';
import { useStore } from '../app/StoreContext';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { parseInvite } from '../../shared/sync/invite';
import { Field } from '../components/Field';
import { QrScanner } from '../components/QrScanner';

/** What the scanner says about a QR code that is not a usable invite (it keeps scanning). */
const checkScannedInvite = (text: string): string | null => {
  const parsed = parseInvite(text);
  if (parsed.ok) return null;
  if (!text.trim().startsWith('LARDER'))
    return 'That QR code is not a Larder invite. Show the camera the one under Sync › Invite on another device.';
  return `That invite’s QR code cannot be used: ${parsed.message}.`;
};

/**
 * First start: either start a new network (made here, on this device, with no server) or join one
 * with an invite code from another device.
 */
export function SetupScreen({ onDone }: { onDone: () => void }) {
  const store = useStore();
  const [mode, setMode] = useState<'new' | 'join'>('new');
  const [hubName, setHubName] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [invite, setInvite] = useState('');
  const [asCoordinator, setAsCoordinator] = useState(false);
  const [scanning, setScanning] = useState(false);
  const [scanned, setScanned] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      if (mode === 'new') await store.createNetwork({ hubName, deviceName });
      else await store.joinNetwork({ invite, deviceName, asCoordinator });
      onDone();
    } catch (error) {
      setErrors(toFormErrors(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="setup">
      <form className="card setup-card" onSubmit={submit} noValidate>
        <h1>Welcome to Larder</h1>
        <p className="lead">
          Larder keeps track of what your hub takes in and hands out. It works without internet, and it never
          asks who picks things up.
        </p>
        <fieldset className="choice">
          <legend>This device</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'new'} onChange={() => setMode('new')} /> Start
            a new network
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'join'} onChange={() => setMode('join')} /> Join
            a network with an invite code
          </label>
        </fieldset>
        {mode === 'new' ? (
          <Field
            label="Name of this hub"
            error={errors.fields.hubName}
            hint="For example: St Anne's Community Kitchen"
          >
            {(props) => (
              <input {...props} value={hubName} onChange={(e) => setHubName(e.target.value)} autoFocus />
            )}
          </Field>
        ) : (
          <Field
            label="Invite code"
            error={errors.fields.invite}
            hint="Paste the code shown under Sync › Invite on a device of the network, or scan its QR code"
          >
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
              check={checkScannedInvite}
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
                Scan the invite’s QR code
              </button>
              {scanned && (
                <p role="status" className="saved">
                  Invite code read from the QR code.
                </p>
              )}
            </div>
          ))}
        <Field
          label="Name of this device"
          error={errors.fields.deviceName}
          hint="For example: Front desk laptop"
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
            This is a coordinator’s device: it holds no stock and sees every hub
          </label>
        )}
        {errors.fields[''] && (
          <p role="alert" className="form-error">
            {errors.fields['']}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'new' ? 'Create network' : 'Join network'}
        </button>
        <p className="hint">
          {mode === 'new'
            ? 'A new network is created on this device. Other hubs can join it later.'
            : 'The invite holds the network’s secret key: only devices with it can read or add to the network.'}
        </p>
      </form>
    </main>
  );
}
