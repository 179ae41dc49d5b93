import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as prettier from 'prettier';

/**
 * What the bench scripts share: their command line, and how they rewrite their docs/ report while
 * keeping its hand-written findings.
 */

/** `--name value`, `--name=value` and `--flag`, from this process's arguments. */
export function commandLine(args = process.argv.slice(2)) {
  const option = (name: string): string | undefined => {
    const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    return args[i]!.includes('=') ? args[i]!.slice(args[i]!.indexOf('=') + 1) : args[i + 1];
  };
  const flag = (name: string) => args.includes(`--${name}`);
  return { option, flag };
}

/** Where a report's template puts the kept findings. */
export const ANALYSIS_SLOT = '@@ANALYSIS@@';
const ANALYSIS_START = /<!-- analysis:start[^>]*-->/;
const ANALYSIS_END = '<!-- analysis:end -->';

/**
 * Writes `markdown` to `file`, with the findings written by hand in the file's previous version (between
 * the analysis markers) in place of ANALYSIS_SLOT, formatted as `npm run lint` expects.
 */
export async function writeReport(file: string, markdown: string): Promise<void> {
  const old = existsSync(file) ? await readFile(file, 'utf8') : '';
  const start = old.search(ANALYSIS_START);
  const end = old.indexOf(ANALYSIS_END);
  const kept =
    start >= 0 && end > start
      ? old.slice(start, end + ANALYSIS_END.length)
      : `<!-- analysis:start (kept when the bench rewrites this file) -->\n## Findings\n\n(none written yet)\n${ANALYSIS_END}`;
  const doc = markdown.replace(ANALYSIS_SLOT, () => kept);
  const options = (await prettier.resolveConfig(file)) ?? {};
  await writeFile(file, await prettier.format(doc, { ...options, filepath: file }));
}

/** Log lines stamped with the seconds since the bench started. */
export function startLog(): (line: string) => void {
  const started = performance.now();
  return (line) =>
    console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
}

/** 100k, 1M. */
export const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);

/** 4.2 ms, 830 ms, 12.5 s; n/a when not measured. */
export const ms = (v: number) =>
  Number.isFinite(v)
    ? v >= 10_000
      ? `${(v / 1000).toFixed(1)} s`
      : `${v.toFixed(v < 10 ? 1 : 0)} ms`
    : 'n/a';

/** The longest of some long tasks (each over 50 ms, as Chromium reports them): "none over 50 ms" when there are none. */
export const longest = (durations: readonly number[]) =>
  durations.length > 0 ? ms(Math.max(...durations)) : 'none over 50 ms';

/** One metric of a report's table: a value per size, its target, and per size whether it was met. */
export interface Row {
  metric: string;
  values: string[];
  target: string;
  /** Per size: met (true), missed (false), or no target (null). */
  met?: (boolean | null)[];
}

function metText(row: Row, sizes: readonly number[]): string {
  if (!row.met) return '—';
  const known = row.met.map((m, i) => (m === null ? null : `${label(sizes[i]!)} ${m ? 'yes' : 'NO'}`));
  const shown = known.filter((k): k is string => k !== null);
  if (shown.length === 0) return 'not measured';
  return row.met.every((m) => m === true) ? 'yes' : shown.join(', ');
}

/** The rows as cells: metric, one value per size, target, met. */
export function cells(
  rows: readonly Row[],
  sizes: readonly number[],
): { header: string[]; body: string[][] } {
  return {
    header: ['Metric', ...sizes.map((n) => `N=${label(n)}`), 'Target', 'Met?'],
    body: rows.map((r) => [r.metric, ...r.values, r.target, metText(r, sizes)]),
  };
}

/** The rows as a plain-text table for the terminal. */
export function render(rows: readonly Row[], sizes: readonly number[]): string {
  const { header, body } = cells(rows, sizes);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cs: string[]) => cs.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

/** The rows as a markdown table. */
export function markdownTable(rows: readonly Row[], sizes: readonly number[]): string {
  const { header, body } = cells(rows, sizes);
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...body.map((b) => `| ${b.join(' | ')} |`),
  ].join('\n');
}
