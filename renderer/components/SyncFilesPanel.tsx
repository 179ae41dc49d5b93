import { useDeviceNames } from '../data/devices';
import { useKnownPeers } from '../data/peers';
import { useRef, useState } from 'react';
import { useSync } from '../app/SyncContext';
import { fileService, readPickedFile } from '../platform/files';
import { ValidationError } from '../../shared/errors';
import { domainText } from '../app/domainText';
import { useTranslation } from 'react-i18next';
import { useFormat, type Format } from '../i18n/format';
import type { TFunction } from 'i18next';
import { useCommand } from '../app/useCommand';
import { CommandStatus } from './StatusMessage';

/**
 * For hubs with no network at all: carry an encrypted sync file on a USB stick. Importing is always
 * safe: twice, out of order, or an old file changes nothing that is already here.
 */
export function SyncFilesPanel() {
  const sync = useSync();
  const { t } = useTranslation();
  const format = useFormat();
  const [target, setTarget] = useState('');
  const command = useCommand();
  const inputRef = useRef<HTMLInputElement>(null);
  const peers = useKnownPeers() ?? [];
  const devices = useDeviceNames();

  const doExport = () =>
    command.run(
      async () => {
        const file = await sync.exportFile(target ? { forDevice: target } : {});
        const where = await fileService().save(file.fileName, file.bytes, {
          name: t('syncFiles.fileKind'),
          extensions: ['larder-sync'],
        });
        return { file, where };
      },
      {
        done: ({ file, where }) =>
          where
            ? t('syncFiles.saved', {
                name: file.fileName,
                size: formatBytes(t, format, file.bytes.byteLength),
              })
            : null,
        failed: (e) =>
          t('syncFiles.couldNotExport', {
            reason:
              e instanceof ValidationError
                ? e.issues.map(domainText).join(' ')
                : e instanceof Error
                  ? e.message
                  : String(e),
          }),
      },
    );

  const doImport = async (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    command.say(t('syncFiles.importing', { name: file.name }));
    // A new device shows its stock from the file's checkpoint while the history behind it goes in.
    const onCheckpoint = ({ from, covered }: { from: string; covered: number }) =>
      command.say(t('syncFiles.checkpointReady', { from, count: covered }));
    await command.run(async () => sync.importFile(await readPickedFile(file), { onCheckpoint }), {
      done: (result) => ({
        text: sentences([result.message, ...(result.ok ? (result.notes ?? []) : [])].map(domainText)),
        error: !result.ok,
      }),
    });
    if (inputRef.current) inputRef.current.value = '';
  };

  return (
    <section className="card" aria-labelledby="files-title">
      <h2 id="files-title">{t('syncFiles.title')}</h2>
      <p className="muted">{t('syncFiles.lead')}</p>
      <div className="field">
        <label htmlFor="export-target">{t('syncFiles.exportFor')}</label>
        <select id="export-target" value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">{t('syncFiles.anyDevice')}</option>
          {peers.map((p) => (
            <option key={p.device} value={p.device}>
              {t('syncFiles.onlyLacks', { device: devices?.get(p.device) ?? p.device })}
            </option>
          ))}
        </select>
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={command.busy} onClick={() => void doExport()}>
          {t('syncFiles.export')}
        </button>
        <label className="button-like">
          {t('syncFiles.import')}
          <input
            ref={inputRef}
            type="file"
            accept=".larder-sync,application/octet-stream"
            className="visually-hidden"
            onChange={(e) => void doImport(e.target.files)}
          />
        </label>
      </div>
      <CommandStatus command={command} saves={false} />
    </section>
  );
}

/** The outcome and its notes as one paragraph: a part without its own full stop gets one before the next. */
function sentences(parts: string[]): string {
  return parts
    .map((part, i) => (i < parts.length - 1 && !/[.!?…]$/.test(part) ? `${part}.` : part))
    .join(' ');
}

function formatBytes(t: TFunction, format: Format, n: number): string {
  const oneDecimal = { minimumFractionDigits: 1, maximumFractionDigits: 1 };
  if (n < 1024) return t('common.bytes', { count: n, n: format.number(n) });
  if (n < 1024 * 1024) return t('common.kilobytes', { n: format.number(n / 1024, oneDecimal) });
  return t('common.megabytes', { n: format.number(n / 1024 / 1024, oneDecimal) });
}
