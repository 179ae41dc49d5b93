import { describe, expect, it } from 'vitest';
import { othersPlan, othersRows, sideBySide, type Others } from '../../bench/others';
import type { JoinSummary, NetworkSummary } from '../../bench/summaries';

/** The rows `npm run bench` adds from the other benches: what each cell says, and what counts as met. */

const options = (given: Record<string, string>) => (name: string) => given[name];

function join(n: number, overrides: Partial<JoinSummary['joins'][number]> = {}): JoinSummary {
  const one = (way: 'file' | 'sync', checkpoint: boolean) => ({
    way,
    checkpoint,
    exportMs: way === 'file' ? 1_300 : 0,
    exportLongestTaskMs: 0,
    fileBytes: 700_000,
    checkpointCovers: checkpoint ? n : null,
    checkpointReadyMs: checkpoint ? 1_000 : null,
    saveAfterFiguresMs: checkpoint ? { hubMs: 100, savedMs: 172, countedMs: 175 } : null,
    importMs: 3_300,
    historyMs: 3_300,
    message: '',
    same: true as const,
    stockRows: 301,
    longestTaskMs: 0,
    longestTaskToReadyMs: 0,
    heapMB: 12,
    ...overrides,
  });
  return {
    n,
    run: 1,
    recordMs: 75_000,
    joins: [one('file', true), one('file', false), one('sync', true), one('sync', false)],
  };
}

const network = (entries: number, p95: number): NetworkSummary => ({
  entries,
  hubs: 50,
  items: 2_000,
  firstSnapshotMs: 420,
  afterOpen: { count: 20, medianMs: 40, p95Ms: p95, maxMs: p95 + 10 },
  afterQuiet: { count: 20, medianMs: 30, p95Ms: 50, maxMs: 60 },
  quietS: 60,
  changed: 40,
  timed: 40,
});

const row = (others: Others, sizes: number[], start: string) => {
  const found = othersRows(others, othersPlan(sizes, options({})), sizes).find((r) =>
    r.metric.startsWith(start),
  );
  if (!found) throw new Error(`no row starting ${start}`);
  return found;
};

describe("npm run bench: the other benches' rows", () => {
  it('plans the join at the sizes up to 100k, the Network screen up to 1M, the comparison at 100k', () => {
    expect(othersPlan([100_000, 1_000_000, 10_000_000], options({}))).toEqual({
      join: [100_000],
      network: [100_000, 1_000_000],
      compare: [100_000],
    });
    expect(othersPlan([100_000], options({ 'join-sizes': '100000,1000000', 'compare-sizes': '' }))).toEqual({
      join: [100_000, 1_000_000],
      network: [100_000],
      compare: [],
    });
  });

  it('says which sizes were not run and how to run them, and judges only those that were', () => {
    const others: Others = { join: [join(100_000)], network: [], compare: [], failed: [] };
    const r = row(others, [100_000, 1_000_000], 'A new device joins from a full sync file');
    expect(r.values).toEqual([
      '1.0 s / 3.3 s',
      'not run (--join-sizes=1000000: the coordinator records them first, about 15 min at 1M)',
    ]);
    expect(r.met).toEqual([true, null]);
  });

  it('a bench that was planned and handed nothing back is a failure, not "not run"', () => {
    const others: Others = { join: [], network: [], compare: [], failed: ['join: exited 1'] };
    const r = row(others, [100_000], 'A new device joins from a full sync file');
    expect(r.values).toEqual(['failed (see the log)']);
    expect(r.met).toEqual([null]);
  });

  it("a join over 20 s to its figures, or a long task on the new device's page, is not met", () => {
    const slow = join(1_000_000, { checkpointReadyMs: 20_500, longestTaskMs: 51 });
    const others: Others = { join: [join(100_000), slow], network: [], compare: [], failed: [] };
    const sizes = [100_000, 1_000_000];
    const plan = othersPlan(sizes, options({ 'join-sizes': '100000,1000000' }));
    const rows = othersRows(others, plan, sizes);
    const joined = rows.find((r) => r.metric.startsWith('A new device joins'))!;
    expect(joined.met).toEqual([true, false]);
    const tasks = rows.find((r) => r.metric.startsWith('The new device’s page with its store on the page'))!;
    expect(tasks.values[0]).toBe('none > 50 ms (none > 50 ms) / none > 50 ms / none > 50 ms / none > 50 ms');
    expect(tasks.values[1]).toBe('51 ms (none > 50 ms) / 51 ms / 51 ms / 51 ms');
    expect(tasks.met).toEqual([true, false]);
  });

  it('the join with the store in a Worker, as in the app: met only when the page had no task over 50 ms', () => {
    const inWorker = (longestTaskMs: number): JoinSummary['inWorker'] => [
      { checkpoint: true, longestTaskMs, pageLongestWaitMs: 36 },
      { checkpoint: false, longestTaskMs: 0, pageLongestWaitMs: 230 },
    ];
    const others: Others = {
      join: [
        { ...join(100_000), inWorker: inWorker(0) },
        { ...join(1_000_000), inWorker: inWorker(64) },
        join(10_000_000),
      ],
      network: [],
      compare: [],
      failed: [],
    };
    const r = row(
      others,
      [100_000, 1_000_000, 10_000_000],
      '… the same files, the new device’s store in a Worker',
    );
    expect(r.values).toEqual([
      'none > 50 ms (36 ms) / none > 50 ms (230 ms)',
      '64 ms (36 ms) / none > 50 ms (230 ms)',
      'n/a / n/a',
    ]);
    // A summary without the Worker's joins (a bench run without --worker) is not met.
    expect(r.met).toEqual([true, false, false]);
  });

  it("a stock that differs from the coordinator's is said in the cell", () => {
    const others: Others = {
      join: [join(100_000, { same: 'stock rows: 300 against 301' as unknown as true })],
      network: [],
      compare: [],
      failed: [],
    };
    expect(row(others, [100_000], 'A new device joins').values[0]).toBe('1.0 s / 3.3 s (stock differs)');
  });

  it("the Network screen's update is met only under 100 ms at p95 in both series", () => {
    const others: Others = {
      join: [],
      network: [network(100_000, 90), network(1_000_000, 140)],
      compare: [],
      failed: [],
    };
    const r = row(others, [100_000, 1_000_000], 'Network view after a remote entry');
    expect(r.values).toEqual(['90 ms (100 ms) / 50 ms (60 ms)', '140 ms (150 ms) / 50 ms (60 ms)']);
    expect(r.met).toEqual([true, false]);
    const shown = row(others, [100_000, 1_000_000], '… remote entries whose effect');
    expect(shown.values).toEqual(['40 of 40', '40 of 40']);
    expect(shown.met).toEqual([true, true]);
    const missed: Others = { ...others, network: [{ ...network(100_000, 90), changed: 39 }] };
    expect(row(missed, [100_000], '… remote entries whose effect').met).toEqual([false]);
    expect(row(missed, [100_000], 'Network view after a remote entry').met).toEqual([true]);
  });

  it('prints the comparison per size, empty when it did not run', () => {
    const none: Others = { join: [], network: [], compare: [], failed: [] };
    expect(sideBySide(none)).toBe('');
    const one: Others = { ...none, compare: [{ n: 100_000, table: '| a |', agrees: 'yes' }] };
    expect(sideBySide(one)).toBe('#### N=100k\n\n| a |\n\nStock of the hub agrees: yes.');
  });
});
