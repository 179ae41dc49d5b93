/**
 * Scores a Stryker JSON report per module and fails when any module of shared/ is under the bar.
 * Usage: tsx tests/mutation/score.ts [report.json] [--min 80]
 * A module's score counts no-coverage mutants as survivors (killed + timeout over all valid mutants);
 * mutants Stryker reports as Ignored (disable comments, static code) are left out.
 */
import { readFileSync } from 'node:fs';

type Mutant = { status: string };
type Report = { files: Record<string, { mutants: Mutant[] }> };

const args = process.argv.slice(2);
const minAt = args.indexOf('--min');
const min = minAt >= 0 ? Number(args[minAt + 1]) : 80;
if (!Number.isFinite(min)) throw new Error(`--min needs a number, not ${args[minAt + 1]}`);
// The report is the argument that is neither an option nor the value of --min.
const path =
  args.find((a, i) => !a.startsWith('--') && (minAt < 0 || i !== minAt + 1)) ??
  `${process.env.MUTATION_DIR ?? 'reports/mutation'}/mutation.json`;
const report = JSON.parse(readFileSync(path, 'utf8')) as Report;

const rows = Object.entries(report.files)
  .map(([file, { mutants }]) => {
    const count = (s: string) => mutants.filter((m) => m.status === s).length;
    const killed = count('Killed') + count('Timeout');
    const survived = count('Survived');
    const noCoverage = count('NoCoverage');
    const valid = killed + survived + noCoverage;
    return {
      file,
      mutants: valid,
      killed,
      survived,
      noCoverage,
      score: valid ? (100 * killed) / valid : 100,
    };
  })
  .sort((a, b) => a.file.localeCompare(b.file));

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(
  `${'module'.padEnd(34)} ${pad('mutants', 7)} ${pad('killed', 6)} ${pad('survived', 8)} ${pad('no cov', 6)}  score`,
);
for (const r of rows) {
  const flag = r.score < min ? '  < ' + min : '';
  console.log(
    `${r.file.padEnd(34)} ${pad(r.mutants, 7)} ${pad(r.killed, 6)} ${pad(r.survived, 8)} ${pad(r.noCoverage, 6)}  ${r.score.toFixed(1)}%${flag}`,
  );
}
const all = rows.reduce((s, r) => ({ k: s.k + r.killed, v: s.v + r.mutants }), { k: 0, v: 0 });
console.log(
  `${'all'.padEnd(34)} ${pad(all.v, 7)} ${pad(all.k, 6)}  ${((100 * all.k) / Math.max(1, all.v)).toFixed(1)}%`,
);
const low = rows.filter((r) => r.score < min);
if (low.length) {
  console.error(`\n${low.length} module(s) below ${min}%: ${low.map((r) => r.file).join(', ')}`);
  process.exit(1);
}
