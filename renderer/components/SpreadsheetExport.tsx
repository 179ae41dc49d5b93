import Dexie from 'dexie';
import { useState } from 'react';
import { ownEffect } from '../../shared/entries';
import { historyCsv, stockCsv } from '../../shared/import';
import { useStore } from '../app/StoreContext';
import { effectiveLevels } from '../../shared/levels';
import { localDateTime, localDay } from '../../shared/days';
import { fileService } from '../platform/files';
import { useTranslation } from 'react-i18next';

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
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const save = async (what: 'stock' | 'history') => {
    try {
      const hub = store.self!.hubId!;
      const db = store.db;
      const [hubRow, items] = await Promise.all([db.hubs.get(hub), db.items.orderBy('nameKey').toArray()]);
      let text: string;
      if (what === 'stock') {
        const [stock, own, byCategory] = await Promise.all([
          db.stock.where('hub').equals(hub).toArray(),
          db.levels.where('hub').equals(hub).toArray(),
          db.categoryLevels.where('hub').equals(hub).toArray(),
        ]);
        const onHand = new Map(stock.map((r) => [r.item, r.onHand]));
        const ownMap = new Map(own.map((l) => [l.key, l]));
        const catMap = new Map(byCategory.map((l) => [l.key, l]));
        text = stockCsv(
          items.map((i) => ({
            name: i.name,
            category: i.category,
            unit: i.unit,
            onHand: onHand.get(i.id) ?? 0,
            levels: effectiveLevels(hub, i, ownMap, catMap),
            packSize: i.packSize,
            barcodes: i.barcodes,
          })),
        );
      } else {
        const byId = new Map(items.map((i) => [i.id, i]));
        const rows = await db.ledger
          .where('[hub+at]')
          .between([hub, Dexie.minKey], [hub, Dexie.maxKey], true, true)
          .toArray();
        text = historyCsv(
          rows.map((r) => {
            const item = byId.get(r.item);
            return {
              date: localDateTime(r.at),
              entry: r.kind,
              name: item?.name ?? r.item,
              category: item?.category ?? '',
              unit: item?.unit ?? '',
              change: r.kind === 'reversal' ? r.effect : ownEffect(r),
              counted: r.kind === 'count' ? r.counted : undefined,
              note: r.note,
            };
          }),
        );
      }
      const name = `larder-${what}-${slug(hubRow?.name ?? 'hub')}-${localDay(Date.now())}.csv`;
      const where = await fileService().save(
        name,
        new TextEncoder().encode(`\uFEFF${text}`),
        { name: t('common.csvFile'), extensions: ['csv'] },
        'text/csv',
      );
      if (where)
        setMessage({
          text: what === 'stock' ? t('export.savedStock', { where }) : t('export.savedHistory', { where }),
          error: false,
        });
    } catch (e) {
      setMessage({
        text: t('common.couldNotSave', { reason: e instanceof Error ? e.message : String(e) }),
        error: true,
      });
    }
  };

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
      <p role="status" className={message?.error ? 'form-error' : 'saved'}>
        {message?.text}
      </p>
    </section>
  );
}
