import { useState, type FormEvent } from 'react';
import { useStore } from '../app/StoreContext';
import { noErrors, toFormErrors, type FormErrors } from '../app/errors';
import { Field } from '../components/Field';

/** First start: name this hub and this device. The network is made here, on this device, with no server. */
export function SetupScreen({ onDone }: { onDone: () => void }) {
  const store = useStore();
  const [hubName, setHubName] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await store.createNetwork({ hubName, deviceName });
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
        <Field
          label="Name of this hub"
          error={errors.fields.hubName}
          hint="For example: St Anne's Community Kitchen"
        >
          {(props) => (
            <input {...props} value={hubName} onChange={(e) => setHubName(e.target.value)} autoFocus />
          )}
        </Field>
        <Field
          label="Name of this device"
          error={errors.fields.deviceName}
          hint="For example: Front desk laptop"
        >
          {(props) => <input {...props} value={deviceName} onChange={(e) => setDeviceName(e.target.value)} />}
        </Field>
        {errors.fields[''] && (
          <p role="alert" className="form-error">
            {errors.fields['']}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Create network
        </button>
        <p className="hint">A new network is created on this device. Other hubs can join it later.</p>
      </form>
    </main>
  );
}
