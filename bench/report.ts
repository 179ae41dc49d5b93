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
