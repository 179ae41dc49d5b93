import { useEffect, useRef, useState } from 'react';
import { Disclosure } from './Disclosure';
import { useTranslation } from 'react-i18next';
import QRCode from 'qrcode';
import type { LarderWindow } from '../../electron/bridge-types';
import { useStore } from '../app/StoreContext';
import { useMyStatus } from '../data/members';
import { useCommand } from '../app/useCommand';
import { CommandStatus, StatusMessage } from './StatusMessage';
import { relayUrls } from '../sync/relay';

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
 * The invite: network id, key, known sync servers and this device's relays, as text and as a QR code.
 * It is a secret, so it is shown only when asked for, and hidden again with one click.
 */
export function InvitePanel() {
  const store = useStore();
  const { t } = useTranslation();
  const [code, setCode] = useState<string | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [preApprove, setPreApprove] = useState(false);
  const command = useCommand();
  const codeRef = useRef<HTMLTextAreaElement>(null);
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
    <Disclosure name="invite" title={t('invite.title')} summary={t('invite.summary')}>
      {!code ? (
        <>
          <p className="muted">
            {t('invite.secret')} {store.signed && t('invite.approval')}
          </p>
          {admin && (
            <label className="switch">
              <input
                type="checkbox"
                checked={preApprove}
                onChange={(e) => setPreApprove(e.target.checked)}
                aria-describedby="pre-approve-hint"
              />
              {t('invite.preApprove')}
            </label>
          )}
          {admin && (
            <p id="pre-approve-hint" className="hint">
              {t('invite.preApproveHint')}
            </p>
          )}
          <button
            type="button"
            className="primary"
            disabled={command.busy}
            onClick={() =>
              void command.run(async () => {
                command.clear();
                const [servers, relays] = await Promise.all([
                  inviteServers(store.self?.signaling ?? []),
                  relayUrls(store),
                ]);
                setCode(
                  preApprove && admin
                    ? await store.preApprovedInvite('coordinator', servers, relays)
                    : await store.inviteCode(servers, relays),
                );
              })
            }
          >
            {t('invite.show')}
          </button>
          <CommandStatus command={command} saves={false} />
        </>
      ) : (
        <div className="invite">
          {qr && <img src={qr} alt={t('invite.qrAlt')} width={320} height={320} />}
          <label htmlFor="invite-code">{t('setup.invite')}</label>
          <textarea
            id="invite-code"
            ref={codeRef}
            readOnly
            rows={4}
            value={code}
            onFocus={(e) => e.target.select()}
          />
          <div className="actions">
            <button
              type="button"
              disabled={command.busy}
              onClick={() => {
                command.clear();
                setCopied(false);
                void command.run(
                  async () => {
                    // No clipboard in a page served over plain http to another device (not a secure context).
                    if (!navigator.clipboard) throw new Error('no clipboard');
                    await navigator.clipboard.writeText(code);
                  },
                  {
                    done: () => {
                      setCopied(true);
                      return null;
                    },
                    // Refused (no permission, the page not focused) or not there: the code is selected, ready to
                    // copy by hand, and the status line says so.
                    failed: () => {
                      codeRef.current?.focus();
                      codeRef.current?.select();
                      return t('invite.copyFailed');
                    },
                  },
                );
              }}
            >
              {copied ? t('invite.copied') : t('invite.copy')}
            </button>
            <button
              type="button"
              onClick={() => {
                setCode(null);
                setCopied(false);
                command.clear();
              }}
            >
              {t('invite.hide')}
            </button>
          </div>
          <StatusMessage message={command.message} />
        </div>
      )}
    </Disclosure>
  );
}
