import { useMemo, useState } from 'react';
import {
  IMPORT_FIELDS,
  IMPORT_LIMITS,
  guessColumns,
  planImport,
  readSheet,
  type ColumnMap,
  type FileProblem,
  type ImportField,
  type ImportPlan,
  type PlannedRow,
  type Sheet,
} from '../../shared/import';
import type { Item } from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { useItems } from '../data/catalog';
import { IMPORT_FIELD_LABEL, IMPORT_STATUS_LABEL } from '../app/importWords';
import { runImport, undoImportCount, type ImportOutcome } from '../app/runImport';
import { SpreadsheetExport } from '../components/SpreadsheetExport';
import { StatusMessage } from '../components/StatusMessage';
import { useCommand, type StatusText } from '../app/useCommand';
import '../import.css';
import { useImportText } from '../app/domainText';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { useFormat, type Format } from '../i18n/format';

/** Rows drawn in the preview at once; the summary and the import always cover every row. */
const PREVIEW_ROWS = 300;

const STATUS_CLASS: Record<PlannedRow['status'], string> = {
  new: 'status status-count',
  existing: 'status status-ok',
  repeat: 'status status-unstocked',
  problem: 'status status-out',
};

/** Text as a spreadsheet saved it: UTF-8, or else the Windows code page Excel uses for "CSV". */
function decode(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

const columnName = (index: number) => {
  let name = '';
  for (let i = index + 1; i > 0; i = Math.floor((i - 1) / 26))
    name = String.fromCharCode(65 + ((i - 1) % 26)) + name;
  return name;
};

interface Loaded {
  name: string;
  sheet: Sheet;
}

/**
 * Bring in the sheet a hub keeps today: pick or paste a CSV, check the columns Larder guessed, see every
 * row with what will happen to it or what is wrong with it, then import: the missing items are created
 * and the quantities recorded as one opening count, which can be undone like any entry.
 */
export function ImportScreen() {
  const store = useStore();
  const items = useItems();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [columns, setColumns] = useState<ColumnMap | null>(null);
  const [fileProblem, setFileProblem] = useState<FileProblem | null>(null);
  const [pasted, setPasted] = useState('');
  const [onlyProblems, setOnlyProblems] = useState(false);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [undone, setUndone] = useState(false);
  // Importing and undoing: busy while either runs, and one status line for its progress and its result.
  const command = useCommand();
  const importText = useImportText();
  const { t } = useTranslation();
  const format = useFormat();
  const n = format.number;

  const live = useMemo(() => (items ?? []) as Item[], [items]);
  // While an import runs, the preview keeps the catalog it was planned with: each batch of new items would
  // otherwise plan every row again and draw the preview anew (a sheet of 10,000 rows: 20 batches, most of the
  // import's time in Chromium), rows turning "in catalog" one batch at a time under the volunteer's eyes.
  const [held, setHeld] = useState<Item[] | null>(null);
  const catalog = held ?? live;
  const plan = useMemo(
    () => (loaded && columns && columns.item !== null ? planImport(loaded.sheet, columns, catalog) : null),
    [loaded, columns, catalog],
  );

  const load = (name: string, text: string) => {
    setOutcome(null);
    setUndone(false);
    command.clear();
    const read = readSheet(text);
    if (!read.ok) {
      setLoaded(null);
      setColumns(null);
      setFileProblem(read.problem);
      return;
    }
    setFileProblem(null);
    setLoaded({ name, sheet: read.sheet });
    setColumns(
      guessColumns(
        read.sheet.header,
        read.sheet.rows.map((r) => r.cells),
      ),
    );
  };

  const pick = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > IMPORT_LIMITS.maxBytes) {
      setLoaded(null);
      setFileProblem({ code: 'file-too-large', bytes: file.size, max: IMPORT_LIMITS.maxBytes });
      return;
    }
    load(file.name, decode(new Uint8Array(await file.arrayBuffer())));
  };

  const setColumn = (field: ImportField, value: string) => {
    setOutcome(null);
    setUndone(false);
    command.clear();
    setColumns((c) => {
      if (!c) return c;
      const next = { ...c };
      const index = value === '' ? null : Number(value);
      // A column holds one thing: choosing it here takes it from the field that had it.
      if (index !== null) for (const f of IMPORT_FIELDS) if (next[f] === index) next[f] = null;
      next[field] = index;
      return next;
    });
  };

  const doImport = async () => {
    if (!loaded || !columns || command.busy) return;
    setUndone(false);
    command.say(t('import.importing'));
    setHeld(catalog);
    try {
      await command.run(
        () =>
          runImport(store, loaded.sheet, columns, loaded.name, (done, total) =>
            command.say(t('import.creating', { done: n(done), total: n(total) })),
          ),
        {
          // Said once every step has resolved in the store: what was done, or what failed and what to do.
          done: (result) => {
            setOutcome(result);
            return outcomeText(t, format, result, loaded.name);
          },
        },
      );
    } finally {
      setHeld(null);
    }
  };

  const undo = async () => {
    if (!outcome || command.busy) return;
    command.say(t('import.undoing'));
    await command.run(() => undoImportCount(store, outcome.count), {
      done: ({ undone, failed }) => {
        setUndone(true);
        return failed.length === 0
          ? t('import.undone', { count: undone, n: n(undone) })
          : {
              text: t('import.undonePartly', {
                undone: n(undone),
                total: n(outcome.count.length),
                failed: n(failed.length),
                reason: asSentence(failed[0]!),
              }),
              error: true,
            };
      },
    });
  };

  const shown = plan ? (onlyProblems ? plan.rows.filter((r) => r.status === 'problem') : plan.rows) : [];
  const s = plan?.summary;
  const nothingToDo = !plan || plan.summary.items === 0;

  return (
    <section aria-labelledby="import-title" className="import-screen">
      <header className="screen-header">
        <h1 id="import-title">{t('nav.spreadsheet')}</h1>
        <p className="muted">{t('import.lead')}</p>
      </header>

      <section className="card" aria-labelledby="import-pick-title">
        <h2 id="import-pick-title">{t('import.pickTitle')}</h2>
        <p className="muted">{t('import.pickLead')}</p>
        <div className="import-sources">
          <div className="field">
            <label htmlFor="import-file">{t('common.csvFile')}</label>
            <input
              id="import-file"
              type="file"
              accept=".csv,.tsv,.txt,text/csv,text/plain"
              disabled={command.busy}
              aria-invalid={fileProblem ? true : undefined}
              aria-describedby={fileProblem ? 'import-file-error' : undefined}
              onChange={(e) => {
                void pick(e.target.files?.[0]);
                e.target.value = '';
              }}
            />
          </div>
          <details className="import-paste">
            <summary>{t('import.pasteSummary')}</summary>
            <div className="field">
              <label htmlFor="import-paste">{t('import.pasteLabel')}</label>
              <textarea
                id="import-paste"
                rows={6}
                value={pasted}
                maxLength={IMPORT_LIMITS.maxBytes}
                onChange={(e) => setPasted(e.target.value)}
              />
            </div>
            <button
              type="button"
              disabled={!pasted.trim() || command.busy}
              onClick={() => load(t('import.pastedName'), pasted)}
            >
              {t('import.readPasted')}
            </button>
          </details>
        </div>
        {fileProblem && (
          <p className="form-error" id="import-file-error" role="alert">
            {importText(fileProblem)}
          </p>
        )}
      </section>

      {loaded && columns && (
        <section className="card" aria-labelledby="import-columns-title">
          <h2 id="import-columns-title">{t('import.columnsTitle', { name: loaded.name })}</h2>
          <p className="muted">{t('import.columnsLead')}</p>
          <div className="import-columns">
            {IMPORT_FIELDS.map((field) => (
              <div
                className={field === 'item' && columns.item === null ? 'field field-invalid' : 'field'}
                key={field}
              >
                <label htmlFor={`import-col-${field}`}>{t(IMPORT_FIELD_LABEL[field])}</label>
                <select
                  id={`import-col-${field}`}
                  value={columns[field] ?? ''}
                  disabled={command.busy}
                  aria-invalid={field === 'item' && columns.item === null ? true : undefined}
                  aria-describedby={
                    field === 'item' && columns.item === null ? 'import-no-item-column' : undefined
                  }
                  onChange={(e) => setColumn(field, e.target.value)}
                >
                  <option value="">{t('import.notInSheet')}</option>
                  {loaded.sheet.header.map((h, i) => (
                    <option key={i} value={i}>
                      {t('import.column', { letter: columnName(i), header: h || t('import.noHeader') })}
                    </option>
                  ))}
                </select>
                {field === 'item' && columns.item === null && (
                  <span className="field-error" id="import-no-item-column" role="alert">
                    {importText({ code: 'no-item-column' })}
                  </span>
                )}
              </div>
            ))}
          </div>
        </section>
      )}

      {plan && s && loaded && (
        <section className="card" aria-labelledby="import-preview-title">
          <h2 id="import-preview-title">{t('import.previewTitle')}</h2>
          <p className="import-summary" role="status" aria-label={t('import.summaryLabel')}>
            {summaryText(t, format, s)}
          </p>
          {columns?.minimum !== null && columns?.target === null && plan.levels.length > 0 && (
            <p className="muted">{t('import.noTarget')}</p>
          )}
          <div className="toolbar">
            <label className="switch">
              <input
                type="checkbox"
                checked={onlyProblems}
                disabled={s.problemRows === 0}
                onChange={(e) => setOnlyProblems(e.target.checked)}
              />
              {t('import.onlyProblems')}
            </label>
          </div>
          <div className="import-table-wrap">
            <table className="data import-table line-cards" aria-label={t('import.rowsLabel')}>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    {t('import.colLine')}
                  </th>
                  <th scope="col">{t('stock.colItem')}</th>
                  <th scope="col" className="num">
                    {t('lines.quantity')}
                  </th>
                  <th scope="col">{t('stock.colStatus')}</th>
                  <th scope="col">{t('import.colProblem')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.slice(0, PREVIEW_ROWS).map((r) => (
                  <PreviewRow
                    key={r.line}
                    row={r}
                    quantity={r.quantity === null ? '—' : n(r.quantity)}
                    importText={importText}
                  />
                ))}
              </tbody>
            </table>
          </div>
          {shown.length > PREVIEW_ROWS && (
            <p className="muted">
              {t('import.showingFirst', { shown: n(PREVIEW_ROWS), total: n(shown.length) })}
            </p>
          )}
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={nothingToDo || command.busy || (outcome !== null && !outcome.failed && !undone)}
              onClick={() => void doImport()}
            >
              {t('import.importButton', { count: s.items, n: n(s.items) })}
            </button>
          </div>
          <StatusMessage
            message={command.message}
            label={outcome && !undone && !command.busy ? t('import.resultLabel') : undefined}
          />
          {outcome && !outcome.failed && outcome.count.length > 0 && !undone && (
            <div className="actions">
              <button type="button" className="danger" disabled={command.busy} onClick={() => void undo()}>
                {t('import.undoButton')}
              </button>
            </div>
          )}
        </section>
      )}

      <SpreadsheetExport />
    </section>
  );
}

/** The preview's summary: how many items, new and known, counted, and what is skipped or ignored. */
function summaryText(t: TFunction, format: Format, s: ImportPlan['summary']): string {
  const n = format.number;
  const parts = [
    t('import.summaryItems', {
      count: s.items,
      n: n(s.items),
      created: n(s.created),
      existing: n(s.existing),
    }),
    t('import.summaryCounted', { count: s.counted, n: n(s.counted) }),
  ];
  if (s.problemRows > 0)
    parts.push(t('import.summarySkipped', { count: s.problemRows, n: n(s.problemRows) }));
  if (s.repeats > 0) parts.push(t('import.summaryRepeats', { count: s.repeats, n: n(s.repeats) }));
  if (s.blankRows > 0) parts.push(t('import.summaryBlank', { count: s.blankRows, n: n(s.blankRows) }));
  return parts.join(' ');
}

/**
 * A reason as one sentence, so the words after it do not run on: a save's reason ("Not saved: the storage is
 * full ... then save again") has no full stop of its own. The four languages end a sentence with a full stop.
 */
const asSentence = (reason: string) => (/[.!?…]$/.test(reason.trim()) ? reason.trim() : `${reason.trim()}.`);

/** What the import did, in one sentence; when a step failed, what was done, what was not, and what to do. */
function outcomeText(t: TFunction, format: Format, outcome: ImportOutcome, fileName: string): StatusText {
  const n = format.number;
  const created = outcome.created.length;
  const made = t('import.newItems', { count: created, n: n(created) });
  if (!outcome.failed) {
    const parts = [t('import.didCreate', { made })];
    if (outcome.levelsSet > 0)
      parts.push(t('import.didLevels', { count: outcome.levelsSet, n: n(outcome.levelsSet) }));
    parts.push(
      outcome.count.length > 0
        ? t('import.didCount', { count: outcome.count.length, n: n(outcome.count.length) })
        : t('import.didNoCount'),
    );
    const skipped = outcome.plan.summary.problemRows;
    const said = [t('import.imported', { file: fileName, parts: parts.join(', ') })];
    if (skipped > 0) said.push(t('import.skipped', { count: skipped, n: n(skipped) }));
    said.push(t('import.seeIt'));
    return { text: said.join(' '), error: false };
  }
  const { step } = outcome.failed;
  const message = asSentence(outcome.failed.message);
  const done =
    step === 'items'
      ? t('import.failedItems', { made, total: n(outcome.plan.create.length), reason: message })
      : step === 'levels'
        ? t('import.failedLevels', { made, reason: message })
        : outcome.levelsSet > 0
          ? t('import.failedCountLevels', {
              made,
              count: outcome.levelsSet,
              n: n(outcome.levelsSet),
              reason: message,
            })
          : t('import.failedCount', { made, reason: message });
  return { text: `${done} ${t('import.retry')}`, error: true };
}

/**
 * A row of the preview. Where the preview is narrow (a phone, or Somali beside the sidebar on a tablet) it
 * is a card (`line-cards`): the item across, its line, quantity and status under their names, and its
 * problem across the card under them, where it reads in a line or two (as a fifth column it had a word or
 * two a line, over five lines).
 */
function PreviewRow({
  row: r,
  quantity,
  importText,
}: {
  row: PlannedRow;
  quantity: string;
  importText: ReturnType<typeof useImportText>;
}) {
  const { t } = useTranslation();
  const notes = r.notes
    .filter((n) => n.code !== 'target-from-minimum')
    .map(importText)
    .join('; ');
  return (
    <tr className={r.status === 'problem' ? 'import-problem' : undefined}>
      <td className="num" data-label={t('import.colLine')}>
        {r.line}
      </td>
      <th scope="row">{r.name || <span className="muted">{t('import.noName')}</span>}</th>
      <td className="num" data-label={t('lines.quantity')}>
        {quantity}
      </td>
      <td data-label={t('stock.colStatus')}>
        <span className={STATUS_CLASS[r.status]}>{t(IMPORT_STATUS_LABEL[r.status])}</span>
      </td>
      <td className="card-wide" data-label={t('import.colProblem')}>
        {r.problems.map((p, i) => (
          <span key={`p${i}`} className="import-row-problem">
            {importText(p)}
          </span>
        ))}
        {r.problems.length === 0 && notes && <span className="muted">{notes}</span>}
      </td>
    </tr>
  );
}
