// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { usageInWindow } from '../../renderer/data/networkReads';
import { LarderDB } from '../../renderer/storage/db';
import { DAYS_WINDOW, utcDay, windowDays } from '../../shared/network/cover';
import type { UsageRow } from '../../shared/projection';
import { uniqueName } from './faults';

const opened: LarderDB[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

describe('usageInWindow', () => {
  it('reads the usage rows of the window’s days, oldest day first, and no others', async () => {
    const db = new LarderDB(uniqueName('network-reads'));
    opened.push(db);
    const now = Date.UTC(2026, 11, 3, 15);
    const window = windowDays(utcDay(now));
    expect(window.length).toBe(DAYS_WINDOW);
    const row = (hub: string, day: string): UsageRow => ({
      key: `${hub}|${day}`,
      hub,
      day,
      entries: 1,
      pickups: { rice: day.length },
    });
    // Each day of the window, at one or two hubs; the days either side of it, and tomorrow (a clock ahead).
    const inside = window.flatMap((day, i) =>
      i % 2 ? [row('north', day), row('south', day)] : [row('north', day)],
    );
    const outside = [...windowDays(window[0]!, 3).slice(0, 2), utcDay(now + 24 * 3600 * 1000)].map((day) =>
      row('north', day),
    );
    await db.usage.bulkPut([...outside, ...[...inside].reverse()]);
    expect(await usageInWindow(db, now)).toEqual(inside);
  });
});
