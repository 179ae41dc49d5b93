// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { LarderDB } from '../../renderer/storage/db';
import {
  buildProblemsReport,
  damageKind,
  problemKind,
  problemsReport,
  reportFile,
} from '../../renderer/storage/report';
import { closeAll, itemForm, open, START, testDeps, uniqueName } from './faults';
import { msg } from '../../shared/messages';

afterEach(closeAll);

const NOTE = 'Given by Maria Lopez, 12 Elm Street';

describe('the Problems report', () => {
  it('lists set-aside rows and failed checks with ids, dates and reasons only: no notes, names or keys', async () => {
    const name = uniqueName('report');
    const { deps, advance } = testDeps(7);
    const store = await open(name, deps);
    await store.createNetwork({ hubName: 'Northside Pantry', deviceName: 'Front desk laptop' });
    const rice = await store.saveItem(itemForm('Rice 2 lb'));
    const rows: number[] = [];
    for (const qty of [1, 2, 3]) {
      advance(60_000);
      await store.recordDonation({
        source: 'other',
        note: NOTE,
        lines: [{ item: rice.id, quantity: String(qty) }],
      });
      rows.push((await store.db.updates.orderBy('id').last())!.id!);
    }
    const networkKey = store.self!.networkKey;
    store.close();
    // Two rows damaged two ways; they hold the note.
    const raw = new LarderDB(name);
    await raw.updates.update(rows[0]!, { update: new Uint8Array(0) });
    const second = (await raw.updates.get(rows[1]!))!.update;
    await raw.updates.update(rows[1]!, { update: second.slice(0, 5) });
    raw.close();

    advance(60_000);
    const opened = await open(name, deps);
    // A peer's problem whose reference is long and chosen by the peer: it is cut short.
    await opened.recordProblem(
      `items/${'x'.repeat(5_000)}`,
      msg('item.invalid', { id: 'x'.repeat(5_000), field: 'name' }),
    );
    const report = await problemsReport(opened.db, START + 10 * 60_000);

    expect(report.format).toBe('larder-problems-report');
    expect(report.setAside.rows).toBe(2);
    expect(report.setAside.entries).toBe(2);
    expect(report.setAside.byKind).toEqual({ empty: 1, 'damaged-bytes': 1 });
    expect(report.setAside.list.map((r) => r.id).sort()).toEqual([rows[0], rows[1]].sort());
    expect(
      report.setAside.list.every((r) => r.setAsideAt === new Date(START + 4 * 60_000).toISOString()),
    ).toBe(true);
    // The three donations are missing: two damaged, one held back behind them.
    expect(report.missing).toEqual({ since: new Date(START + 4 * 60_000).toISOString(), entries: 3 });
    expect(report.refused.count).toBe(1);
    expect(report.refused.byKind).toEqual({ setting: 1 });
    expect(report.refused.list[0]!.where.length).toBeLessThan(300);

    const text = new TextDecoder().decode(reportFile(report).bytes);
    for (const secret of [NOTE, 'Maria', 'Northside', 'Front desk', 'Rice', networkKey])
      expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toEqual(report);
    expect(reportFile(report).name).toBe(
      `larder-problems-${new Date(START).toISOString().slice(0, 10)}.json`,
    );
  });

  it('says nothing is missing once the missing entries are back, and orders what it lists', () => {
    const report = buildProblemsReport({
      damaged: [
        {
          id: 9,
          update: new Uint8Array(3),
          entries: 1,
          reason: 'Yjs could not apply it (boom)',
          setAsideAt: 20,
        },
        { id: 4, update: 'not bytes' as never, entries: 2, reason: 'it is not update data', setAsideAt: 10 },
      ],
      damage: { key: 'damage', at: 10, rows: 2, missing: [], missingCount: 3 },
      missingNow: 0,
      problems: [
        { where: 'entry/b.2', reason: 'r', seenAt: 5 },
        { where: 'peer update received 2026-01-01T00:00:00.000Z', reason: 'Refused', seenAt: 1 },
      ],
      now: 0,
    });
    expect(report.missing).toBeNull();
    expect(report.setAside.list.map((r) => [r.id, r.kind, r.bytes])).toEqual([
      [4, 'not-update-data', 0],
      [9, 'refused-by-yjs', 3],
    ]);
    expect(report.setAside.bytes).toBe(3);
    expect(report.refused.list.map((p) => p.kind)).toEqual(['peer-update', 'entry']);
  });

  it('names each kind in words', () => {
    expect(damageKind('something new')).toBe('other');
    expect(problemKind('device/abc')).toBe('device-history');
    expect(problemKind('members/3')).toBe('member-list');
    expect(problemKind('ledger/abc/2')).toBe('ledger');
    expect(problemKind('levels/h|i')).toBe('setting');
    expect(problemKind('members')).toBe('member-list');
    expect(problemKind('anything')).toBe('other');
  });
});
