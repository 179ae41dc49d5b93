import { useState } from 'react';
import { useStore } from '../app/StoreContext';
import { formatDateTime } from '../app/time';
import { toFormErrors } from '../app/errors';
import { useMembers, useMyFingerprint, useMyStatus, type MemberView } from '../app/members';
import type { Role } from '../../shared/trust/members';

const ROLE_NAMES: Record<Role, string> = { admin: 'Admin', coordinator: 'Coordinator', hub: 'Hub device' };

/**
 * Who is in the network: every device with its hub, role, who approved it, what it has written, and a
 * fingerprint of its key that two people can compare by reading it aloud. Admins approve devices that ask
 * to join, make other admins, and revoke a lost or taken laptop.
 */
export function MembersScreen() {
  const store = useStore();
  const members = useMembers();
  const me = useMyStatus();
  const fingerprint = useMyFingerprint();
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const admin = me === 'admin';

  const act = async (what: () => Promise<string>) => {
    setError(null);
    setMessage(null);
    try {
      setMessage(await what());
    } catch (e) {
      setError(toFormErrors(e).summary.join(' '));
    }
  };

  if (me === 'unsigned') return <UpgradeNetwork />;

  const requests = members?.filter((m) => m.status === 'requested') ?? [];
  const current = members?.filter((m) => m.status === 'member') ?? [];
  const revoked = members?.filter((m) => m.status === 'revoked' && !m.legacy) ?? [];
  const legacy = members?.filter((m) => m.legacy) ?? [];
  const admins = current.filter((m) => m.role === 'admin').length;

  return (
    <section aria-labelledby="members-title">
      <header className="screen-header">
        <h1 id="members-title">Members</h1>
        <p className="muted">
          Every device in the network. What a device writes counts only once an admin has approved it, and
          never after it was revoked.
        </p>
      </header>
      <p className="notice">
        This device’s fingerprint: <strong className="fingerprint">{fingerprint ?? '…'}</strong>. Read it
        aloud to compare it with what an admin sees.
      </p>
      {me === 'waiting' && (
        <p className="warning" role="status">
          This device is waiting for an admin’s approval. Everything it records is saved here, and counts on
          every device once an admin approves it.
        </p>
      )}
      {me === 'revoked' && (
        <p className="warning" role="status">
          An admin revoked this device. What it records from now on does not count anywhere.
        </p>
      )}
      {admin && admins === 1 && (
        <p className="warning" role="status">
          This network has only one admin. If this device is lost, nobody can approve or revoke devices: make
          a second admin of a device you trust.
        </p>
      )}
      {message && (
        <p className="saved" role="status">
          {message}
        </p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}

      <h2 className="section-title">Waiting for approval</h2>
      {requests.length === 0 ? (
        <p className="empty">No device is waiting.</p>
      ) : (
        <table className="data" aria-label="Waiting for approval">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Hub</th>
              <th scope="col">Asked</th>
              <th scope="col">Fingerprint</th>
              <th scope="col">Held apart</th>
              {admin && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {requests.map((m) => (
              <tr key={m.device}>
                <th scope="row">{m.name}</th>
                <td>{m.hub ? (m.hubName ?? 'Unknown hub') : 'Coordinator (no hub)'}</td>
                <td>{m.requestedAt ? formatDateTime(m.requestedAt) : ''}</td>
                <td className="fingerprint">{m.fingerprint}</td>
                <td className="num">{m.held}</td>
                {admin && (
                  <td>
                    <button
                      type="button"
                      className="primary"
                      aria-label={`Approve ${m.name}`}
                      onClick={() =>
                        void act(async () => {
                          await store.approveDevice(m.device);
                          return `${m.name} is approved. What it recorded now counts.`;
                        })
                      }
                    >
                      Approve
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 className="section-title">Devices</h2>
      <table className="data" aria-label="Devices">
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Hub</th>
            <th scope="col">Role</th>
            <th scope="col">Approved</th>
            <th scope="col">Entries</th>
            <th scope="col">Last entry</th>
            <th scope="col">Fingerprint</th>
            {admin && <th scope="col">Action</th>}
          </tr>
        </thead>
        <tbody>
          {current.map((m) => (
            <MemberRowView
              key={m.device}
              m={m}
              isSelf={m.device === store.self?.deviceId}
              admin={admin}
              confirming={confirming === m.device}
              onConfirm={(on) => setConfirming(on ? m.device : null)}
              onMakeAdmin={() =>
                void act(async () => {
                  await store.approveDevice(m.device, 'admin');
                  return `${m.name} is now an admin.`;
                })
              }
              onRevoke={() =>
                void act(async () => {
                  setConfirming(null);
                  const { cut } = await store.revokeDevice(m.device);
                  return `${m.name} is revoked. Its first ${cut} entries still count; nothing it records from now on does.`;
                })
              }
            />
          ))}
        </tbody>
      </table>

      {revoked.length > 0 && (
        <>
          <h2 className="section-title">Revoked</h2>
          <table className="data" aria-label="Revoked devices">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Hub</th>
                <th scope="col">Revoked</th>
                <th scope="col">Entries that count</th>
                <th scope="col">Fingerprint</th>
              </tr>
            </thead>
            <tbody>
              {revoked.map((m) => (
                <tr key={m.device}>
                  <th scope="row">{m.name}</th>
                  <td>{m.hubName ?? (m.hub ? 'Unknown hub' : '')}</td>
                  <td>{m.revokedAt ? formatDateTime(m.revokedAt) : ''}</td>
                  <td className="num">the first {m.cut ?? 0}</td>
                  <td className="fingerprint">{m.fingerprint}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      {legacy.length > 0 && (
        <>
          <h2 className="section-title">From before signing</h2>
          <p className="muted">
            Devices as they were when this network moved to signed entries. What they recorded until then
            counts; each records again under its own key once an admin approves it.
          </p>
          <table className="data" aria-label="Devices from before signing">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Hub</th>
                <th scope="col">Entries that count</th>
              </tr>
            </thead>
            <tbody>
              {legacy.map((m) => (
                <tr key={m.device}>
                  <th scope="row">{m.name}</th>
                  <td>{m.hubName ?? (m.hub ? 'Unknown hub' : 'Coordinator (no hub)')}</td>
                  <td className="num">the first {m.cut ?? 0}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/**
 * A network made before signing came: anyone with its invite code can write as anyone. One device moves
 * it to signed entries and becomes its first admin; the others follow when they next sync.
 */
function UpgradeNetwork() {
  const store = useStore();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upgrade = async () => {
    setBusy(true);
    setError(null);
    try {
      await store.upgradeToSigned();
    } catch (e) {
      setError(toFormErrors(e).summary.join(' '));
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="members-title">
      <header className="screen-header">
        <h1 id="members-title">Members</h1>
      </header>
      <div className="card" role="group" aria-labelledby="upgrade-title">
        <h2 id="upgrade-title">Protect this network with device signatures</h2>
        <p>
          This network was made before Larder’s devices signed what they write: anyone with its invite code,
          or a lost laptop, can write to it as anyone, and nothing can take that away.
        </p>
        <p>
          Moving it to signed entries makes <strong>this device its first admin</strong>. Everything recorded
          so far, as this device has it now, keeps counting. The other devices follow the next time they sync
          with this one or import its sync file: each asks to join with its own key, and what it records
          (including anything this device had not seen yet) counts once you approve it here.
        </p>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="button" className="primary" disabled={busy} onClick={() => void upgrade()}>
          {busy ? 'Moving to signed entries…' : 'Move to signed entries and make this device admin'}
        </button>
      </div>
    </section>
  );
}

function MemberRowView(props: {
  m: MemberView;
  isSelf: boolean;
  admin: boolean;
  confirming: boolean;
  onConfirm: (on: boolean) => void;
  onMakeAdmin: () => void;
  onRevoke: () => void;
}) {
  const { m, isSelf, admin } = props;
  const role = m.role === 'requested' ? '' : ROLE_NAMES[m.role];
  return (
    <tr>
      <th scope="row">
        {m.name}
        {isSelf && <span className="muted"> (this device)</span>}
      </th>
      <td>{m.hubName ?? (m.hub ? 'Unknown hub' : 'No hub')}</td>
      <td>{role}</td>
      <td>
        {m.approvedAt ? formatDateTime(m.approvedAt) : ''}
        {m.approvedByName && m.approvedBy !== m.device ? ` by ${m.approvedByName}` : ''}
        {m.approvedBy === m.device ? ' (started the network)' : ''}
      </td>
      <td className="num">{m.entriesSeen}</td>
      <td>{m.lastEntryAt ? formatDateTime(m.lastEntryAt) : 'none yet'}</td>
      <td className="fingerprint">{m.fingerprint}</td>
      {admin && (
        <td>
          {isSelf ? null : props.confirming ? (
            <div className="confirm" role="group" aria-label={`Revoke ${m.name}?`}>
              <p>
                Revoke {m.name}? The {m.entriesSeen} entries this device has seen from it still count; nothing
                it records later will, on any device. This cannot be undone.
              </p>
              <div className="actions">
                <button type="button" className="danger" onClick={props.onRevoke}>
                  Revoke {m.name}
                </button>
                <button type="button" onClick={() => props.onConfirm(false)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <div className="actions">
              {m.role !== 'admin' && (
                <button type="button" aria-label={`Make ${m.name} an admin`} onClick={props.onMakeAdmin}>
                  Make admin
                </button>
              )}
              <button type="button" aria-label={`Revoke ${m.name}…`} onClick={() => props.onConfirm(true)}>
                Revoke…
              </button>
            </div>
          )}
        </td>
      )}
    </tr>
  );
}
