import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from '../app/StoreContext';
import { useFormat } from '../i18n/format';
import { useMembers, useMyStatus, type MemberView } from '../data/members';
import { useMyFingerprint } from '../data/fingerprint';
import type { Role } from '../../shared/trust/members';
import { CatchUpWindow } from '../components/CatchUpWindow';
import { CommandStatus } from '../components/StatusMessage';
import { useCommand } from '../app/useCommand';

const ROLE_NAMES = {
  admin: 'members.roleAdmin',
  coordinator: 'members.roleCoordinator',
  hub: 'members.roleHub',
} as const satisfies Record<Role, string>;

/**
 * Who is in the network: every device with its hub, role, who approved it, what it has written, and a
 * fingerprint of its key that two people can compare by reading it aloud. Admins approve devices that ask
 * to join, make other admins, and revoke a lost or taken laptop.
 */
export function MembersScreen() {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const members = useMembers();
  const me = useMyStatus();
  const fingerprint = useMyFingerprint();
  const [confirming, setConfirming] = useState<string | null>(null);
  const admin = me === 'admin';
  // Approve, make admin, revoke: one at a time (a second click while one runs does nothing).
  const command = useCommand();
  const act = (what: () => Promise<string>) => command.run(what, { done: (said) => said });

  if (me === 'unsigned') return <UpgradeNetwork />;

  const requests = members?.filter((m) => m.status === 'requested') ?? [];
  const current = members?.filter((m) => m.status === 'member') ?? [];
  const revoked = members?.filter((m) => m.status === 'revoked' && !m.legacy) ?? [];
  const legacy = members?.filter((m) => m.legacy) ?? [];
  const admins = current.filter((m) => m.role === 'admin').length;
  const selfId = store.self?.deviceId;
  // Devices that hold the network's entries to an older form (their own record says so; this one's is said
  // again at each start): named here, so a coordinator knows which laptop to update.
  const older = current.filter((m) => m.readsOlder && m.device !== selfId);

  return (
    <section aria-labelledby="members-title">
      <header className="screen-header">
        <h1 id="members-title">{t('nav.members')}</h1>
        <p className="muted">{t('members.lead')}</p>
      </header>
      <p className="notice">
        {t('members.fingerprint')} <strong className="fingerprint">{fingerprint ?? '…'}</strong>.{' '}
        {t('members.readAloud')}
      </p>
      {me === 'waiting' && (
        <p className="warning" role="status">
          {t('members.waiting')}
        </p>
      )}
      {me === 'revoked' && (
        <p className="warning" role="status">
          {t('members.revokedSelf')}
        </p>
      )}
      {admin && admins === 1 && (
        <p className="warning" role="status">
          {t('members.oneAdmin')}
        </p>
      )}
      <CommandStatus command={command} />

      <h2 className="section-title">{t('members.waitingTitle')}</h2>
      {requests.length === 0 ? (
        <p className="empty">{t('members.noneWaiting')}</p>
      ) : (
        <div className="table-scroll">
          <table className="data line-cards" aria-label={t('members.waitingTitle')}>
            <thead>
              <tr>
                <th scope="col">{t('members.device')}</th>
                <th scope="col">{t('stock.hub')}</th>
                <th scope="col">{t('members.asked')}</th>
                <th scope="col">{t('members.fingerprintCol')}</th>
                <th scope="col">{t('members.heldApart')}</th>
                {admin && <th scope="col">{t('members.action')}</th>}
              </tr>
            </thead>
            <tbody>
              {requests.map((m) => (
                <tr key={m.device}>
                  <th scope="row">{m.name}</th>
                  <td data-label={t('stock.hub')}>
                    {m.hub ? (m.hubName ?? t('members.unknownHub')) : t('members.coordinatorNoHub')}
                  </td>
                  <td data-label={t('members.asked')}>
                    {m.requestedAt ? format.dateTime(m.requestedAt) : ''}
                  </td>
                  <td className="fingerprint card-wide" data-label={t('members.fingerprintCol')}>
                    {m.fingerprint}
                  </td>
                  <td className="num" data-label={t('members.heldApart')}>
                    {format.number(m.held)}
                  </td>
                  {admin && (
                    <td className="card-wide">
                      <button
                        type="button"
                        className="primary"
                        disabled={command.busy}
                        aria-label={t('members.approveLabel', { name: m.name })}
                        onClick={() =>
                          void act(async () => {
                            await store.approveDevice(m.device);
                            return t('members.approved', { name: m.name });
                          })
                        }
                      >
                        {t('members.approve')}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 className="section-title">{t('members.devices')}</h2>
      {older.length > 0 && (
        <p className="notice" role="note" aria-label={t('members.olderLarder')}>
          {t('members.olderLarderNote', {
            count: older.length,
            names: format.list(older.map((m) => m.name)),
          })}
        </p>
      )}
      <div className="table-scroll">
        <table className="data line-cards" aria-label={t('members.devices')}>
          <thead>
            <tr>
              <th scope="col">{t('members.device')}</th>
              <th scope="col">{t('stock.hub')}</th>
              <th scope="col">{t('members.role')}</th>
              <th scope="col">{t('members.approvedCol')}</th>
              <th scope="col">{t('members.entries')}</th>
              <th scope="col">{t('members.lastEntry')}</th>
              <th scope="col">{t('members.fingerprintCol')}</th>
              {admin && <th scope="col">{t('members.action')}</th>}
            </tr>
          </thead>
          <tbody>
            {current.map((m) => (
              <MemberRowView
                key={m.device}
                m={m}
                isSelf={m.device === selfId}
                admin={admin}
                confirming={confirming === m.device}
                busy={command.busy}
                onConfirm={(on) => setConfirming(on ? m.device : null)}
                onMakeAdmin={() =>
                  void act(async () => {
                    await store.approveDevice(m.device, 'admin');
                    return t('members.madeAdmin', { name: m.name });
                  })
                }
                onRevoke={() =>
                  void act(async () => {
                    setConfirming(null);
                    const { cut } = await store.revokeDevice(m.device);
                    return t('members.revokedDone', { name: m.name, count: cut });
                  })
                }
              />
            ))}
          </tbody>
        </table>
      </div>

      {revoked.length > 0 && (
        <>
          <h2 className="section-title">{t('members.revokedTitle')}</h2>
          <div className="table-scroll">
            <table className="data line-cards" aria-label={t('members.revokedLabel')}>
              <thead>
                <tr>
                  <th scope="col">{t('members.device')}</th>
                  <th scope="col">{t('stock.hub')}</th>
                  <th scope="col">{t('members.revokedCol')}</th>
                  <th scope="col">{t('members.entriesThatCount')}</th>
                  <th scope="col">{t('members.fingerprintCol')}</th>
                </tr>
              </thead>
              <tbody>
                {revoked.map((m) => (
                  <tr key={m.device}>
                    <th scope="row">{m.name}</th>
                    <td data-label={t('stock.hub')}>{m.hubName ?? (m.hub ? t('members.unknownHub') : '')}</td>
                    <td data-label={t('members.revokedCol')}>
                      {m.revokedAt ? format.dateTime(m.revokedAt) : ''}
                    </td>
                    <td className="num" data-label={t('members.entriesThatCount')}>
                      {t('members.theFirst', { count: m.cut ?? 0 })}
                    </td>
                    <td className="fingerprint card-wide" data-label={t('members.fingerprintCol')}>
                      {m.fingerprint}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      <CatchUpWindow admin={admin} />

      {legacy.length > 0 && (
        <>
          <h2 className="section-title">{t('members.legacyTitle')}</h2>
          <p className="muted">{t('members.legacyLead')}</p>
          <div className="table-scroll">
            <table className="data line-cards" aria-label={t('members.legacyLabel')}>
              <thead>
                <tr>
                  <th scope="col">{t('members.device')}</th>
                  <th scope="col">{t('stock.hub')}</th>
                  <th scope="col">{t('members.entriesThatCount')}</th>
                </tr>
              </thead>
              <tbody>
                {legacy.map((m) => (
                  <tr key={m.device}>
                    <th scope="row">{m.name}</th>
                    <td data-label={t('stock.hub')}>
                      {m.hubName ?? (m.hub ? t('members.unknownHub') : t('members.coordinatorNoHub'))}
                    </td>
                    <td className="num" data-label={t('members.entriesThatCount')}>
                      {t('members.theFirst', { count: m.cut ?? 0 })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
  const { t } = useTranslation();
  const command = useCommand();
  return (
    <section aria-labelledby="members-title">
      <header className="screen-header">
        <h1 id="members-title">{t('nav.members')}</h1>
      </header>
      <div className="card" role="group" aria-labelledby="upgrade-title">
        <h2 id="upgrade-title">{t('members.upgradeTitle')}</h2>
        <p>{t('members.upgradeWhy')}</p>
        <p>{t('members.upgradeHow')}</p>
        <CommandStatus command={command} />
        <button
          type="button"
          className="primary"
          disabled={command.busy}
          onClick={() => void command.run(() => store.upgradeToSigned())}
        >
          {command.busy ? t('members.upgrading') : t('members.upgrade')}
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
  busy: boolean;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const { m, isSelf, admin } = props;
  const role = m.role === 'requested' ? '' : t(ROLE_NAMES[m.role]);
  return (
    <tr>
      <th scope="row">
        {m.name}
        {isSelf && <span className="muted"> {t('members.thisDevice')}</span>}
        {m.readsOlder && !isSelf && (
          <>
            {' '}
            <span className="badge badge-low">{t('members.olderLarder')}</span>
          </>
        )}
      </th>
      <td data-label={t('stock.hub')}>
        {m.hubName ?? (m.hub ? t('members.unknownHub') : t('members.noHub'))}
      </td>
      <td data-label={t('members.role')}>{role}</td>
      <td data-label={t('members.approvedCol')}>
        {m.approvedAt ? format.dateTime(m.approvedAt) : ''}
        {m.approvedByName && m.approvedBy !== m.device
          ? ` ${t('members.by', { name: m.approvedByName })}`
          : ''}
        {m.approvedBy === m.device ? ` ${t('members.started')}` : ''}
      </td>
      <td className="num" data-label={t('members.entries')}>
        {format.number(m.entriesSeen)}
      </td>
      <td data-label={t('members.lastEntry')}>
        {m.lastEntryAt ? format.dateTime(m.lastEntryAt) : t('members.noneYet')}
      </td>
      <td className="fingerprint card-wide" data-label={t('members.fingerprintCol')}>
        {m.fingerprint}
      </td>
      {admin && (
        <td className="card-wide">
          {isSelf ? null : props.confirming ? (
            <div className="confirm" role="group" aria-label={t('members.revokeQuestion', { name: m.name })}>
              <p>{t('members.revokeWarning', { name: m.name, count: m.entriesSeen })}</p>
              <div className="actions">
                <button type="button" className="danger" disabled={props.busy} onClick={props.onRevoke}>
                  {t('members.revokeName', { name: m.name })}
                </button>
                <button type="button" onClick={() => props.onConfirm(false)}>
                  {t('common.cancel')}
                </button>
              </div>
            </div>
          ) : (
            <div className="actions">
              {m.role !== 'admin' && (
                <button
                  type="button"
                  aria-label={t('members.makeAdminLabel', { name: m.name })}
                  disabled={props.busy}
                  onClick={props.onMakeAdmin}
                >
                  {t('members.makeAdmin')}
                </button>
              )}
              <button
                type="button"
                aria-label={t('members.revokeLabel', { name: m.name })}
                onClick={() => props.onConfirm(true)}
              >
                {t('members.revoke')}
              </button>
            </div>
          )}
        </td>
      )}
    </tr>
  );
}
