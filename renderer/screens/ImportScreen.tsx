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
  type PlannedRow,
  type Sheet,
} from '../../shared/import';
import type { Item } from '../../shared/catalog';
import { useStore } from '../app/StoreContext';
import { useItems } from '../app/hooks';
import { IMPORT_FIELD_LABEL, IMPORT_STATUS_LABEL } from '../app/importWords';
import { runImport, undoImportCount, type ImportOutcome } from '../app/runImport';
import { SpreadsheetExport } from '../components/SpreadsheetExport';
import '../import.css';
import { useImportText } from '../app/domainText';

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

function plural(count: number, one: string, many: string) {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

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
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [undoMessage, setUndoMessage] = useState<{ text: string; error: boolean } | null>(null);
  const importText = useImportText();

  const catalog = useMemo(() => (items ?? []) as Item[], [items]);
  const plan = useMemo(
    () => (loaded && columns && columns.item !== null ? planImport(loaded.sheet, columns, catalog) : null),
    [loaded, columns, catalog],
  );

  const load = (name: string, text: string) => {
    setOutcome(null);
    setUndoMessage(null);
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
    if (!loaded || !columns) return;
    setBusy('Importing…');
    setUndoMessage(null);
    try {
      setOutcome(
        await runImport(store, loaded.sheet, columns, loaded.name, (done, total) =>
          setBusy(`Creating items: ${done.toLocaleString()} of ${total.toLocaleString()}…`),
        ),
      );
    } finally {
      setBusy(null);
    }
  };

  const undo = async () => {
    if (!outcome) return;
    setBusy('Undoing the count…');
    try {
      const { undone, failed } = await undoImportCount(store, outcome.count);
      setUndoMessage(
        failed.length === 0
          ? {
              text: `Undone: the opening count of ${plural(undone, 'item', 'items')} no longer counts (History shows it and its undo). The items stay in the catalog.`,
              error: false,
            }
          : {
              text: `Undid ${undone.toLocaleString()} of ${outcome.count.length.toLocaleString()} count lines; ${failed.length.toLocaleString()} could not be undone: ${failed[0]} Undo the rest under History.`,
              error: true,
            },
      );
    } finally {
      setBusy(null);
    }
  };

  const shown = plan ? (onlyProblems ? plan.rows.filter((r) => r.status === 'problem') : plan.rows) : [];
  const s = plan?.summary;
  const nothingToDo = !plan || plan.summary.items === 0;

  return (
    <section aria-labelledby="import-title" className="import-screen">
      <header className="screen-header">
        <h1 id="import-title">Spreadsheet</h1>
        <p className="muted">
          Bring in the stock sheet your hub keeps today, or take Larder’s stock and history out as CSV.
        </p>
      </header>

      <section className="card" aria-labelledby="import-pick-title">
        <h2 id="import-pick-title">Import a sheet</h2>
        <p className="muted">
          Save your sheet as CSV (in your spreadsheet: File › Save as, or Download › CSV). One row per item;
          Larder finds the item, category, unit, quantity, minimum and barcode columns. Nothing is saved until
          you press Import.
        </p>
        <div className="import-sources">
          <div className="field">
            <label htmlFor="import-file">CSV file</label>
            <input
              id="import-file"
              type="file"
              accept=".csv,.tsv,.txt,text/csv,text/plain"
              onChange={(e) => {
                void pick(e.target.files?.[0]);
                e.target.value = '';
              }}
            />
          </div>
          <details className="import-paste">
            <summary>Or paste the cells</summary>
            <div className="field">
              <label htmlFor="import-paste">Cells copied from a spreadsheet</label>
              <textarea
                id="import-paste"
                rows={6}
                value={pasted}
                maxLength={IMPORT_LIMITS.maxBytes}
                onChange={(e) => setPasted(e.target.value)}
              />
            </div>
            <button type="button" disabled={!pasted.trim()} onClick={() => load('pasted cells', pasted)}>
              Read pasted cells
            </button>
          </details>
        </div>
        {fileProblem && (
          <p className="form-error" role="alert">
            {importText(fileProblem)}
          </p>
        )}
      </section>

      {loaded && columns && (
        <section className="card" aria-labelledby="import-columns-title">
          <h2 id="import-columns-title">Columns in {loaded.name}</h2>
          <p className="muted">
            Larder guessed which column is which from the headers. Change any that is wrong; choose “Not in
            this sheet” for what the sheet does not have.
          </p>
          <div className="import-columns">
            {IMPORT_FIELDS.map((field) => (
              <div className="field" key={field}>
                <label htmlFor={`import-col-${field}`}>{IMPORT_FIELD_LABEL[field]}</label>
                <select
                  id={`import-col-${field}`}
                  value={columns[field] ?? ''}
                  aria-invalid={field === 'item' && columns.item === null ? true : undefined}
                  onChange={(e) => setColumn(field, e.target.value)}
                >
                  <option value="">Not in this sheet</option>
                  {loaded.sheet.header.map((h, i) => (
                    <option key={i} value={i}>
                      {columnName(i)}: {h || '(no header)'}
                    </option>
                  ))}
                </select>
              </div>
            ))}
          </div>
          {columns.item === null && (
            <p className="form-error" role="alert">
              {importText({ code: 'no-item-column' })}
            </p>
          )}
        </section>
      )}

      {plan && s && loaded && (
        <section className="card" aria-labelledby="import-preview-title">
          <h2 id="import-preview-title">Preview</h2>
          <p className="import-summary" role="status" aria-label="Import summary">
            {plural(s.items, 'item', 'items')}: {s.created.toLocaleString()} new,{' '}
            {s.existing.toLocaleString()} already in the catalog;{' '}
            {plural(s.counted, 'quantity goes', 'quantities go')} into one opening count.
            {s.problemRows > 0 &&
              ` ${plural(s.problemRows, 'row with a problem is', 'rows with problems are')} skipped.`}
            {s.repeats > 0 && ` ${plural(s.repeats, 'row repeats', 'rows repeat')} an item.`}
            {s.blankRows > 0 && ` ${plural(s.blankRows, 'blank row', 'blank rows')} ignored.`}
          </p>
          {columns?.minimum !== null && columns?.target === null && plan.levels.length > 0 && (
            <p className="muted">The sheet has no target column: each item’s target is set to its minimum.</p>
          )}
          <div className="toolbar">
            <label className="switch">
              <input
                type="checkbox"
                checked={onlyProblems}
                disabled={s.problemRows === 0}
                onChange={(e) => setOnlyProblems(e.target.checked)}
              />
              Show only rows with problems
            </label>
          </div>
          <div className="import-table-wrap">
            <table className="data import-table" aria-label="Rows to import">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Line
                  </th>
                  <th scope="col">Item</th>
                  <th scope="col" className="num">
                    Quantity
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">Problem or note</th>
                </tr>
              </thead>
              <tbody>
                {shown.slice(0, PREVIEW_ROWS).map((r) => (
                  <tr key={r.line} className={r.status === 'problem' ? 'import-problem' : undefined}>
                    <td className="num">{r.line}</td>
                    <th scope="row">{r.name || <span className="muted">(no name)</span>}</th>
                    <td className="num">{r.quantity === null ? '—' : r.quantity.toLocaleString()}</td>
                    <td>
                      <span className={STATUS_CLASS[r.status]}>{IMPORT_STATUS_LABEL[r.status]}</span>
                    </td>
                    <td>
                      {r.problems.map((p, i) => (
                        <span key={`p${i}`} className="import-row-problem">
                          {importText(p)}
                        </span>
                      ))}
                      {r.problems.length === 0 && (
                        <span className="muted">
                          {r.notes
                            .filter((n) => n.code !== 'target-from-minimum')
                            .map(importText)
                            .join('; ')}
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {shown.length > PREVIEW_ROWS && (
            <p className="muted">
              Showing the first {PREVIEW_ROWS.toLocaleString()} of {shown.length.toLocaleString()} rows; the
              import covers them all.
            </p>
          )}
          <div className="actions">
            <button
              type="button"
              className="primary"
              disabled={nothingToDo || busy !== null || (outcome !== null && !outcome.failed && !undoMessage)}
              onClick={() => void doImport()}
            >
              Import {plural(s.items, 'item', 'items')}
            </button>
            {busy && <span role="status">{busy}</span>}
          </div>
          {outcome && <OutcomeMessage outcome={outcome} fileName={loaded.name} />}
          {outcome && !outcome.failed && outcome.count.length > 0 && !undoMessage && (
            <div className="actions">
              <button type="button" className="danger" disabled={busy !== null} onClick={() => void undo()}>
                Undo this opening count
              </button>
            </div>
          )}
          {undoMessage && (
            <p role="status" className={undoMessage.error ? 'form-error' : 'saved'}>
              {undoMessage.text}
            </p>
          )}
        </section>
      )}

      <SpreadsheetExport />
    </section>
  );
}

/** What the import did, in one sentence; when a step failed, what was done, what was not, and what to do. */
function OutcomeMessage({ outcome, fileName }: { outcome: ImportOutcome; fileName: string }) {
  const made = plural(outcome.created.length, 'new item', 'new items');
  if (!outcome.failed) {
    const parts = [`created ${made}`];
    if (outcome.levelsSet > 0)
      parts.push(`set the minimum and target for ${plural(outcome.levelsSet, 'item', 'items')}`);
    parts.push(
      outcome.count.length > 0
        ? `recorded one opening count of ${plural(outcome.count.length, 'item', 'items')}`
        : 'recorded no count (the sheet has no quantities)',
    );
    const skipped = outcome.plan.summary.problemRows;
    return (
      <p role="status" className="saved" aria-label="Import result">
        Imported {fileName}: {parts.join(', ')}.
        {skipped > 0 && ` ${plural(skipped, 'row with a problem was', 'rows with problems were')} skipped.`}{' '}
        See it under Stock and History.
      </p>
    );
  }
  const { step, message } = outcome.failed;
  const done =
    step === 'items'
      ? `Created ${made} of ${outcome.plan.create.length.toLocaleString()}; then this failed: ${message}`
      : step === 'levels'
        ? `Created ${made}; setting the minimums and targets failed: ${message} No count was recorded.`
        : `Created ${made}${outcome.levelsSet > 0 ? ` and set ${plural(outcome.levelsSet, 'minimum', 'minimums')}` : ''}, but the count was NOT recorded: ${message}`;
  return (
    <p role="alert" className="form-error" aria-label="Import result">
      {done} Press Import again once this is fixed: the items already created are matched, not made twice.
    </p>
  );
}
