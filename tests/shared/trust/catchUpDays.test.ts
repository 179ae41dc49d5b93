import { describe, expect, it } from 'vitest';
import { catchUpDaysOf, keysToServe, MAX_CATCH_UP_DAYS } from '../../../shared/trust/catchUp';

const DAY = 24 * 60 * 60 * 1000;

describe("the network's waiting time in earlier keys' rooms", () => {
  it('is a whole number of days from 0 to 90; anything else is the default 90', () => {
    for (const days of [0, 1, 7, 89, 90]) expect(catchUpDaysOf(days)).toBe(days);
    for (const junk of [undefined, null, -1, 91, 1.5, '7', Number.NaN, Infinity, {}])
      expect(catchUpDaysOf(junk)).toBe(MAX_CATCH_UP_DAYS);
  });

  it('serves a past key while it is younger than the window, never past 90 days', () => {
    const row = {
      networkKey: 'k3',
      epoch: 3,
      pastKeys: [
        { epoch: 0, key: 'k0', until: 0 },
        { epoch: 1, key: 'k1', until: 20 * DAY },
        { epoch: 2, key: 'k2', until: 25 * DAY },
      ],
    };
    const at = 30 * DAY;
    const epochs = (days?: number) => keysToServe(row, at, days).map((k) => k.epoch);
    expect(epochs()).toEqual([2, 1, 0]);
    expect(epochs(30)).toEqual([2, 1]);
    expect(epochs(11)).toEqual([2, 1]);
    expect(epochs(10)).toEqual([2]);
    expect(epochs(6)).toEqual([2]);
    expect(epochs(5)).toEqual([]);
    expect(epochs(0)).toEqual([]);
    // A window over 90 days is 90 days.
    expect(keysToServe(row, 91 * DAY, 365).map((k) => k.epoch)).toEqual([2, 1]);
  });
});
