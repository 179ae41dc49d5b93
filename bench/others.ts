import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { label, ms, type Row } from './report';
import type { CompareSummary, JoinSummary, NetworkSummary } from './summaries';

/**
 * The rest of issue 11's table, which `npm run bench` measures with the benches that have their own
 * scenario (bench/run.ts's own rows are storage, start, first views, pickups and heap): a new device joining
 * from a full sync file and over sync messages (bench/join-file.ts), the Network screen after a remote
 * entry (bench/network.ts), and Larder beside Yjs + y-indexeddb and PouchDB (bench/compare.ts). Each is run
 * as its own process, as its own command runs it, and hands back a summary as JSON (bench/summaries.ts).
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The sizes each bench runs at. */
export interface OthersPlan {
  join: number[];
  network: number[];
  compare: number[];
}

/**
 * By default: the join at the sizes asked for up to 100k (at 1M the coordinator's device records a million
 * signed entries first, about 13 min on this machine: `--join-sizes=100000,1000000`), the Network screen
 * at each size asked for up to 1M (its own network, 50 hubs × 2,000 items), and the comparison at 100k
 * (PouchDB takes about 100 s to store each 100k entries: `--compare-sizes=100000,1000000`).
 */
export function othersPlan(
  sizes: readonly number[],
  option: (name: string) => string | undefined,
): OthersPlan {
  const list = (name: string, fallback: number[]) => {
    const given = option(name);
    return given === undefined ? fallback : given.split(',').filter(Boolean).map(Number);
  };
  return {
    join: list(
      'join-sizes',
      sizes.filter((n) => n <= 100_000),
    ),
    network: list(
      'network-sizes',
      sizes.filter((n) => n <= 1_000_000),
    ),
    compare: list('compare-sizes', [100_000]),
  };
}

export interface Others {
  join: JoinSummary[];
  network: NetworkSummary[];
  compare: CompareSummary[];
  /** Each bench that did not hand back its summary, and how it ended. */
  failed: string[];
}

/** Runs the benches of `plan`, one after the other, their output shown as it comes. */
export function runOthers(plan: OthersPlan, log: (line: string) => void): Others {
  const dir = mkdtempSync(join(tmpdir(), 'larder-bench-others-'));
  const others: Others = { join: [], network: [], compare: [], failed: [] };
  const run = <T>(what: string, args: string[]): T[] => {
    const file = join(dir, `${what}-${Date.now()}.json`);
    log(`${what}: npx tsx ${args.join(' ')}`);
    const child = spawnSync('npx', ['tsx', ...args, `--json=${file}`], { cwd: root, stdio: 'inherit' });
    // A bench hands back one summary (network.ts) or one per size and run (join-file.ts, compare.ts).
    if (child.status === 0 && existsSync(file))
      return [JSON.parse(readFileSync(file, 'utf8')) as T | T[]].flat() as T[];
    others.failed.push(`${what} (${args.slice(1).join(' ')}): exited ${child.status ?? child.signal}`);
    return [];
  };
  try {
    if (plan.join.length)
      others.join = run<JoinSummary>('join', [
        'bench/join-file.ts',
        `--sizes=${plan.join.join(',')}`,
        '--worker',
      ]);
    for (const n of plan.network)
      others.network.push(
        ...run<NetworkSummary>('network', ['bench/network.ts', '--entries', String(n), '--no-write']),
      );
    if (plan.compare.length)
      others.compare = run<CompareSummary>('compare', [
        'bench/compare.ts',
        `--sizes=${plan.compare.join(',')}`,
        '--no-write',
      ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return others;
}

const seconds = (v: number | null) => (v === null ? 'n/a' : `${(v / 1000).toFixed(1)} s`);
/** A longest task as Chromium's long-task observer gives it: 0 when none was over 50 ms. */
const task = (v: number) => (v > 0 ? ms(v) : 'none > 50 ms');

/** The join bench's rows (issue 11: "a new device joins (or imports a full sync file)", its longest tasks). */
function joinRows(others: Others, plan: OthersPlan, sizes: readonly number[]): Row[] {
  const of = (n: number) => others.join.find((s) => s.n === n);
  const find = (s: JoinSummary, way: 'file' | 'sync', checkpoint: boolean) =>
    s.joins.find((j) => j.way === way && j.checkpoint === checkpoint);
  const notRun = (n: number) =>
    plan.join.includes(n)
      ? 'failed (see the log)'
      : n >= 10_000_000
        ? 'not run (the coordinator records 10M entries first: about 2.5 h)'
        : `not run (--join-sizes=${n}: the coordinator records them first, about 15 min at 1M)`;
  const cell = (f: (s: JoinSummary) => string) => sizes.map((n) => (of(n) ? f(of(n)!) : notRun(n)));
  const met = (f: (s: JoinSummary) => boolean) => sizes.map((n) => (of(n) ? f(of(n)!) : null));
  /** Stock right: the checkpoint's figures, or the import's end without one. */
  const ready = (j: JoinFromFile | undefined) => (j ? (j.checkpointReadyMs ?? j.importMs) : NaN);
  const both = (s: JoinSummary, way: 'file' | 'sync', checkpoint: boolean) => {
    const j = find(s, way, checkpoint);
    return j
      ? `${seconds(ready(j))} / ${seconds(j.importMs)}${j.same === true ? '' : ' (stock differs)'}`
      : 'n/a';
  };
  const tasks = (s: JoinSummary) =>
    (['file', 'sync'] as const)
      .flatMap((way) => [true, false].map((c) => find(s, way, c)))
      .filter((j): j is JoinFromFile => j !== undefined);
  return [
    {
      metric:
        'A new device joins from a full sync file with a checkpoint: stock right / all of the history in',
      values: cell((s) => both(s, 'file', true)),
      target: '< 20 s',
      met: met((s) => ready(find(s, 'file', true)) < 20_000),
    },
    {
      metric: '… over sync messages with a checkpoint: stock right / all in',
      values: cell((s) => both(s, 'sync', true)),
      target: '< 20 s',
      met: met((s) => ready(find(s, 'sync', true)) < 20_000),
    },
    {
      metric: '… without a checkpoint (the whole history), file / sync messages: stock right',
      values: cell(
        (s) => `${seconds(ready(find(s, 'file', false)))} / ${seconds(ready(find(s, 'sync', false)))}`,
      ),
      target: '< 20 s',
      met: met((s) => [find(s, 'file', false), find(s, 'sync', false)].every((j) => ready(j) < 20_000)),
    },
    {
      metric: '… a donation saved right after the checkpoint’s figures, file / sync: committed after',
      values: cell((s) =>
        (['file', 'sync'] as const)
          .map((way) => {
            const save = find(s, way, true)?.saveAfterFiguresMs;
            return save === undefined || save === null
              ? 'n/a'
              : typeof save === 'string'
                ? save
                : ms(save.savedMs);
          })
          .join(' / '),
      ),
      target: '—',
    },
    {
      metric:
        'The new device’s page with its store on the page (not the app’s way: see the row below), longest main-thread task: file with a checkpoint (until its figures) / sync with / file without / sync without',
      values: cell((s) => {
        const f = (way: 'file' | 'sync', c: boolean) => {
          const j = find(s, way, c);
          return j ? task(j.longestTaskMs) : 'n/a';
        };
        const fileWith = find(s, 'file', true);
        return `${f('file', true)} (${fileWith ? task(fileWith.longestTaskToReadyMs) : 'n/a'}) / ${f('sync', true)} / ${f('file', false)} / ${f('sync', false)}`;
      }),
      target: '< 50 ms',
      met: met((s) => tasks(s).every((j) => j.longestTaskMs < 50)),
    },
    {
      metric:
        '… the same files, the new device’s store in a Worker as in the app: the page’s longest task, with / without a checkpoint (its longest wait for a 10 ms timer)',
      values: cell((s) =>
        [true, false]
          .map((c) => {
            const w = s.inWorker?.find((j) => j.checkpoint === c);
            return w ? `${task(w.longestTaskMs)} (${ms(w.pageLongestWaitMs)})` : 'n/a';
          })
          .join(' / '),
      ),
      target: '< 50 ms',
      met: met((s) => (s.inWorker?.length ?? 0) > 0 && s.inWorker!.every((w) => w.longestTaskMs < 50)),
    },
    {
      metric:
        'A full sync file with / without a checkpoint: size; exported in (longest task on the coordinator’s page)',
      values: cell((s) =>
        [true, false]
          .map((c) => {
            const j = find(s, 'file', c);
            return j
              ? `${(j.fileBytes / 1e6).toFixed(1)} MB; ${seconds(j.exportMs)} (${task(j.exportLongestTaskMs)})`
              : 'n/a';
          })
          .join(' / '),
      ),
      target: '—',
    },
    {
      metric: 'The new device’s JS heap after joining with / without a checkpoint (after GC)',
      values: cell((s) =>
        [true, false]
          .map((c) => {
            const j = find(s, 'file', c);
            return j ? `${j.heapMB.toFixed(0)} MB` : 'n/a';
          })
          .join(' / '),
      ),
      target: '< 150 MB',
      met: met((s) => tasks(s).every((j) => j.heapMB < 150)),
    },
  ];
}
type JoinFromFile = JoinSummary['joins'][number];

/** The Network bench's rows (issue 11: the coordinator's first snapshot, the view after a remote entry). */
function networkRows(others: Others, plan: OthersPlan, sizes: readonly number[]): Row[] {
  const of = (n: number) => others.network.find((s) => s.entries === n);
  const notRun = (n: number) =>
    plan.network.includes(n)
      ? 'failed (see the log)'
      : `not run (--network-sizes=${n}${n >= 10_000_000 ? ': its seed alone rebuilds for about 9 min' : ''})`;
  const cell = (f: (s: NetworkSummary) => string) => sizes.map((n) => (of(n) ? f(of(n)!) : notRun(n)));
  const met = (f: (s: NetworkSummary) => boolean) => sizes.map((n) => (of(n) ? f(of(n)!) : null));
  const any = others.network[0];
  const shape = any ? `${any.hubs} hubs × ${any.items.toLocaleString('en')} items` : '50 hubs × 2,000 items';
  const quiet = any ? `${any.quietS} s` : 'a minute';
  return [
    {
      metric: `Network model (${shape}): subscribe → first snapshot, browser just started`,
      values: cell((s) => ms(s.firstSnapshotMs)),
      target: '< 500 ms',
      met: met((s) => s.firstSnapshotMs < 500),
    },
    {
      metric: `Network view after a remote entry, p95 (max): right after the screen opened / after ${quiet} idle`,
      values: cell(
        (s) =>
          `${ms(s.afterOpen.p95Ms)} (${ms(s.afterOpen.maxMs)}) / ${ms(s.afterQuiet.p95Ms)} (${ms(s.afterQuiet.maxMs)})`,
      ),
      target: '< 100 ms',
      met: met((s) => s.afterOpen.p95Ms < 100 && s.afterQuiet.p95Ms < 100),
    },
    {
      metric: '… remote entries whose effect the view showed, of all timed',
      values: cell((s) => `${s.changed} of ${s.timed}`),
      target: 'all',
      met: met((s) => s.changed === s.timed),
    },
  ];
}

/** The rows of issue 11's table that the other benches measure, one column per size of this run. */
export function othersRows(others: Others, plan: OthersPlan, sizes: readonly number[]): Row[] {
  return [...networkRows(others, plan, sizes), ...joinRows(others, plan, sizes)];
}

/** The comparison's tables, one per size, as markdown (empty when it did not run). */
export function sideBySide(others: Others): string {
  return others.compare
    .map((c) => `#### N=${label(c.n)}\n\n${c.table}\n\nStock of the hub agrees: ${c.agrees}.`)
    .join('\n\n');
}
