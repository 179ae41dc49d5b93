import { dismissDamageNotice, useDamageNotice } from '../data/problems';
import { Disclosure } from './Disclosure';
import { StatusMessage } from './StatusMessage';
import { useCommand } from '../app/useCommand';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useFormat, type Format } from '../i18n/format';
import { KIND_LABEL } from '../i18n/entryWords';
import { useStore } from '../app/StoreContext';
import type { CheckExample, DataCheck, RowName, TableDifference, TableName } from '../storage/check';
import { ENTRY_KINDS, type EntryKind } from '../../shared/entryKinds';

/**
 * Shown above every screen when this device found part of its saved data damaged at startup: what is
 * missing, that nothing was deleted, and the two ways to get it back.
 */
export function DataNotice() {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const notice = useDamageNotice();
  if (!notice) return null;
  const { damage, still, items } = notice;
  const dismiss = () => void dismissDamageNotice(store);
  if (still.length === 0)
    return (
      <section className="card notice" role="status" aria-label={t('dataNotice.label')}>
        <p>
          {t('dataNotice.allBack')}{' '}
          <button type="button" onClick={dismiss}>
            {t('dataNotice.dismiss')}
          </button>
        </p>
      </section>
    );
  const count = damage.missingCount;
  return (
    <section className="warning" role="alert" aria-labelledby="data-notice-title">
      <h2 id="data-notice-title">{t('dataNotice.title')}</h2>
      <p>
        {t('dataNotice.damaged', { when: format.dateTime(damage.at) })}{' '}
        {t('dataNotice.missing', { count, n: format.number(count) })}
        {damage.rows > 0 ? ` ${t('dataNotice.keptAside')}` : ''} {t('dataNotice.countsAgain')}
      </p>
      <ul className="plain small" aria-label={t('dataNotice.missingLabel')}>
        {still.slice(0, 8).map((m) => (
          <li key={m.id}>
            {t(KIND_LABEL[m.kind])} · {items.get(m.item) ?? t('dataNotice.anItem')} · {format.dateTime(m.at)}
          </li>
        ))}
        {still.length > 8 && <li>{t('dataNotice.more', { n: format.number(still.length - 8) })}</li>}
      </ul>
      <p>{t('dataNotice.getBack')}</p>
      <ul className="plain">
        <li>
          <a href="#/sync">{t('dataNotice.syncLink')}</a> {t('dataNotice.syncRest')}
        </li>
        <li>
          <a href="#/sync">{t('dataNotice.fileLink')}</a> {t('dataNotice.fileRest')}
        </li>
      </ul>
    </section>
  );
}

/** "Check data": compares every figure with the ledger, says what differs, and repairs it. */
export function CheckDataPanel() {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const [result, setResult] = useState<{ check: DataCheck; repaired: boolean } | null>(null);
  const command = useCommand();
  // What was found shows in the result below; only a check that could not run is said in the status line.
  const run = (repair: boolean) =>
    command.run(
      async () => {
        command.clear();
        const check = repair ? await store.repairData() : await store.checkData();
        setResult({ check, repaired: repair });
      },
      { failed: (e) => t('check.failed', { reason: e instanceof Error ? e.message : String(e) }) },
    );
  const differences = result?.check.differences ?? [];
  return (
    <Disclosure name="check" title={t('check.section')} summary={t('check.sectionSummary')}>
      <p className="muted">{t('check.lead')}</p>
      <button type="button" onClick={() => void run(false)} disabled={command.busy}>
        {command.busy ? t('check.checking') : t('check.title')}
      </button>
      <StatusMessage message={command.message} />
      {result && (
        <div role="status" aria-label={t('check.resultLabel')}>
          {differences.length === 0 ? (
            <p>
              {result.repaired ? `${t('check.repaired')} ` : ''}
              {t('check.matches', { count: result.check.rows, n: format.number(result.check.rows) })}
            </p>
          ) : (
            <>
              <p>{t('check.differs')}</p>
              <ul>
                {differences.map((d) => {
                  const { summary, examples } = differenceText(t, format, d);
                  return (
                    <li key={d.table}>
                      {summary}
                      {examples.length > 0 && (
                        <ul className="plain small">
                          {examples.map((e, i) => (
                            <li key={i}>{e}</li>
                          ))}
                        </ul>
                      )}
                    </li>
                  );
                })}
              </ul>
              <button type="button" onClick={() => void run(true)} disabled={command.busy}>
                {t('check.repair')}
              </button>
            </>
          )}
        </div>
      )}
    </Disclosure>
  );
}

/** Each table the check compares, as the panel names it (catalog keys). */
const TABLE_TITLE: Record<TableName, string> = {
  stock: 'check.table.stock',
  shelf: 'check.table.shelf',
  onHand: 'check.table.onHand',
  ledger: 'check.table.ledger',
  itemLists: 'check.table.itemLists',
  usage: 'check.table.usage',
  items: 'check.table.items',
  hubs: 'check.table.hubs',
  devices: 'check.table.devices',
  levels: 'check.table.levels',
  hubLevels: 'check.table.hubLevels',
  categoryLevels: 'check.table.categoryLevels',
  gate: 'check.table.gate',
  members: 'check.table.members',
};

const isEntryKind = (kind: string): kind is EntryKind => (ENTRY_KINDS as readonly string[]).includes(kind);

function rowText(t: TFunction, format: Format, row: RowName): string {
  const item = (name: string | null) => name ?? t('check.row.anItem');
  const hub = (name: string | null) => name ?? t('check.row.aHub');
  switch (row.is) {
    case 'at':
      return t('check.row.at', { item: item(row.item), hub: hub(row.hub) });
    case 'entry':
      return t('check.row.entry', {
        kind: isEntryKind(row.kind) ? t(KIND_LABEL[row.kind]) : row.kind,
        item: item(row.item),
        hub: hub(row.hub),
        day: Number.isFinite(row.at) ? format.dateTime(row.at) : '?',
      });
    case 'use':
      return t('check.row.use', { item: item(row.item), hub: hub(row.hub), day: format.day(row.day) });
    case 'category':
      return t('check.row.at', { item: row.category, hub: hub(row.hub) });
    case 'named':
      return row.name;
    case 'device':
      return t('check.row.device', { device: row.device });
  }
}

function exampleText(t: TFunction, format: Format, e: CheckExample): string {
  const row = rowText(t, format, e.row);
  if (e.problem === 'missing') return t('check.example.missing', { row });
  if (e.problem === 'extra') return t('check.example.extra', { row });
  if (e.shows !== undefined && e.says !== undefined)
    return t('check.example.wrongFigure', {
      row,
      shows: format.number(e.shows),
      says: format.number(e.says),
    });
  return t('check.example.wrong', { row });
}

/** A table that differs, in words: "Stock figures: 1 wrong; 2 missing", and its examples named. */
export function differenceText(
  t: TFunction,
  format: Format,
  d: TableDifference,
): { summary: string; examples: string[] } {
  const parts: string[] = [];
  if (d.wrong > 0) parts.push(t('check.wrong', { count: d.wrong, n: format.number(d.wrong) }));
  if (d.missing > 0) parts.push(t('check.missing', { count: d.missing, n: format.number(d.missing) }));
  if (d.extra > 0) parts.push(t('check.extra', { count: d.extra, n: format.number(d.extra) }));
  return {
    summary: t('check.summary', { table: t(TABLE_TITLE[d.table]), parts: parts.join('; ') }),
    examples: d.examples.map((e) => exampleText(t, format, e)),
  };
}
