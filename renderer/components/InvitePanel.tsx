import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import type { LarderWindow } from '../../electron/bridge-types';
import { useStore } from '../app/StoreContext';
import { useMyStatus } from '../app/members';
import { toFormErrors } from '../app/errors';

/** The servers an invite names: this device's, plus this computer's LAN addresses when it hosts sync. */
async function inviteServers(own: string[]): Promise<string[]> {
  const host = (window as LarderWindow).larder?.hostSync;
  const hosted = host ? await host.status() : null;
  if (!hosted?.running) return own;
  // Other devices cannot reach this computer's loopback address: they get its LAN addresses instead.
  const lan = hosted.urls.filter((u) => u !== hosted.localUrl);
  return [...new Set([...own.filter((u) => u !== hosted.localUrl), ...lan])];
}

/**
 * The invite: network id, key and known sync servers, as text and as a QR code. It is a secret, so it is
 * shown only when asked for, and hidden again with one click.
 */
export function InvitePanel() {
  const store = useStore();
  const [code, setCode] = useState<string | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [preApprove, setPreApprove] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const admin = useMyStatus() === 'admin';

  useEffect(() => {
    if (!code) return setQr(null);
    let live = true;
    QRCode.toDataURL(code, { errorCorrectionLevel: 'M', margin: 2, width: 320 })
      .then((url) => live && setQr(url))
      .catch(() => live && setQr(null));
    return () => {
      live = false;
    };
  }, [code]);

  return (
    <section className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a hub or device</h2>
      {!code ? (
        <>
          <p className="muted">
            The invite code lets a device join this network and read everything in it. Give it only to people
            you trust, in person or over a private channel.{' '}
            {store.signed &&
              'What the new device records counts once an admin approves it on the Members screen.'}
          </p>
          {admin && (
            <label className="switch">
              <input
                type="checkbox"
                checked={preApprove}
                onChange={(e) => setPreApprove(e.target.checked)}
                aria-describedby="pre-approve-hint"
              />
              Approve the device that uses this invite
            </label>
          )}
          {admin && (
            <p id="pre-approve-hint" className="hint">
              For a volunteer who must start now: one device, within 24 hours. Anyone holding the code in that
              time could be that device.
            </p>
          )}
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button
            type="button"
            className="primary"
            onClick={() =>
              void inviteServers(store.self?.signaling ?? [])
                .then((s) =>
                  preApprove && admin ? store.preApprovedInvite('coordinator', s) : store.inviteCode(s),
                )
                .then(setCode, (e: unknown) => setError(toFormErrors(e).summary.join(' ')))
            }
          >
            Show invite code
          </button>
        </>
      ) : (
        <div className="invite">
          {qr && <img src={qr} alt="QR code of the invite" width={320} height={320} />}
          <label htmlFor="invite-code">Invite code</label>
          <textarea id="invite-code" readOnly rows={4} value={code} onFocus={(e) => e.target.select()} />
          <div className="actions">
            <button
              type="button"
              onClick={() => {
                void navigator.clipboard?.writeText(code).then(() => setCopied(true));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button
              type="button"
              onClick={() => {
                setCode(null);
                setCopied(false);
              }}
            >
              Hide
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
