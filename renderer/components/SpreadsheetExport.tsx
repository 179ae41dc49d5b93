import { historyCsv, stockCsv } from '../../shared/import';
import { useStore } from '../app/StoreContext';
import { localDay } from '../../shared/days';
import { historyForExport, stockForExport } from '../data/exports';
import { fileService } from '../platform/files';
import { useTranslation } from 'react-i18next';
import { useCommand } from '../app/useCommand';
import { StatusMessage } from './StatusMessage';

const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'hub';

/**
 * Stock and history out as CSV, with the column names the import reads: a file downloaded here comes
 * back in through Import unchanged (and opens in any spreadsheet; a byte order mark tells Excel it is UTF-8).
 */
export function SpreadsheetExport() {
  const store = useStore();
  const { t } = useTranslation();
  const command = useCommand();

  const save = (what: 'stock' | 'history') =>
    command.run(
      async () => {
        const hub = store.self!.hubId!;
        const { hubName, text } =
          what === 'stock'
            ? await stockForExport(store, hub).then((r) => ({ ...r, text: stockCsv(r.rows) }))
            : await historyForExport(store, hub).then((r) => ({ ...r, text: historyCsv(r.rows) }));
        const name = `larder-${what}-${slug(hubName ?? 'hub')}-${localDay(Date.now())}.csv`;
        return fileService().save(
          name,
          new TextEncoder().encode(`\uFEFF${text}`),
          { name: t('common.csvFile'), extensions: ['csv'] },
          'text/csv',
        );
      },
      {
        done: (where) =>
          where
            ? what === 'stock'
              ? t('export.savedStock', { where })
              : t('export.savedHistory', { where })
            : null,
        failed: (e) => t('common.couldNotSave', { reason: e instanceof Error ? e.message : String(e) }),
      },
    );

  return (
    <section className="card" aria-labelledby="export-title">
      <h2 id="export-title">{t('export.title')}</h2>
      <p className="muted">{t('export.lead')}</p>
      <div className="actions">
        <button type="button" onClick={() => void save('stock')}>
          {t('export.stock')}
        </button>
        <button type="button" onClick={() => void save('history')}>
          {t('export.history')}
        </button>
      </div>
      <StatusMessage message={command.message} />
    </section>
  );
}
