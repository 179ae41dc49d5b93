import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entrySchema, type Donation, type Entry } from '../../shared/entries';
import { decodeEntry, encodeEntry, packedEntry, STORED_KIND_BASE, storedEntry } from '../../shared/wire';
import { decodeEntryBySchema } from './decodeEntryBySchema';
import { MESSAGE_CODES, msg, word, type DomainMessage } from '../../shared/messages';
import type { EntryKind } from '../../shared/entries';
import { EPOCH_MS, entryArb, fcOptions } from './arbitraries';

const DAY_MS = 86_400_000;
const T = Date.UTC(2024, 0, 2, 3, 4, 5);
const SEC = (T - EPOCH_MS) / 1000;
const LATE_SEC = (Date.UTC(2100, 0, 1) - EPOCH_MS) / 1000 + 1;

const donation: Donation = {
  kind: 'donation',
  hub: 'hub1',
  device: 'deva',
  seq: 7,
  item: 'itma',
  at: T - 3_600_000,
  recordedAt: T,
  qty: 12,
  source: 'business',
  expiry: '2024-06-01',
  group: 3,
};

/** A valid wire tuple of each kind, written out by hand: [v, kind, hub, device, seq, item, rec, atBefore, a, b, extras?]. */
const valid = {
  donation: [1, 0, 'hub1', 'deva', 7, 'itma', SEC, 0, 12, 0],
  pickup: [1, 1, 'hub1', 'deva', 7, 'itma', SEC, 0, 3, 2],
  count: [1, 2, 'hub1', 'deva', 7, 'itma', SEC, 0, 5, -2],
  discard: [1, 3, 'hub1', 'deva', 7, 'itma', SEC, 0, 4, 1],
  reversal: [1, 4, 'hub1', 'deva', 7, 'itma', SEC, 0, -4, 'devb.2', { t: 0 }],
};
const withAt = (tuple: readonly unknown[], index: number, value: unknown) =>
  tuple.map((v, i) => (i === index ? value : v));

/** Values an untrusted peer can put in a tuple (all representable in a Y.Doc). */
const junkArb = fc.oneof(
  fc.anything(),
  fc.integer(),
  fc.integer({ min: -3, max: 12 }),
  fc.double(),
  fc.maxSafeInteger(),
  fc.string(),
  fc.constantFrom(null, undefined, true, false, '', [], {}, -0, NaN, Infinity),
);

function expectWellFormed(result: ReturnType<typeof decodeEntry>): void {
  if (result.ok) {
    expect(entrySchema.safeParse(result.entry).success).toBe(true);
  } else {
    expect(MESSAGE_CODES).toContain(result.reason.code);
  }
}

/** The message for an entry of `kind` whose `field` failed the schema. */
const invalid = (kind: EntryKind, field: string) =>
  msg('entry.fieldInvalid', { kind: word(`kind.${kind}`), field });

describe('encodeEntry / decodeEntry', () => {
  it('the valid hand-written tuples decode', () => {
    for (const tuple of Object.values(valid)) expect(decodeEntry(tuple)).toMatchObject({ ok: true });
    expect(decodeEntry(valid.pickup)).toEqual({
      ok: true,
      entry: {
        kind: 'pickup',
        hub: 'hub1',
        device: 'deva',
        seq: 7,
        item: 'itma',
        at: T,
        recordedAt: T,
        qty: 3,
        households: 2,
      },
    });
  });

  it('writes the documented positional layout (peers on other versions depend on it)', () => {
    expect(encodeEntry(donation)).toEqual([
      1,
      0,
      'hub1',
      'deva',
      7,
      'itma',
      SEC,
      3600,
      12,
      1,
      { e: (Date.UTC(2024, 5, 1) - EPOCH_MS) / DAY_MS, g: 3 },
    ]);
    const { source: _source, expiry: _expiry, ...header } = donation;
    const pickup: Entry = { ...header, kind: 'pickup', qty: 2, at: T, belowZero: true };
    expect(encodeEntry(pickup)).toEqual([1, 1, 'hub1', 'deva', 7, 'itma', SEC, 0, 2, 0, { g: 3, w: 1 }]);
  });

  it('round-trips every valid entry exactly', () => {
    fc.assert(
      fc.property(entryArb(), (e) => {
        expect(decodeEntry(encodeEntry(e))).toStrictEqual({ ok: true, entry: e });
      }),
      fcOptions(2),
    );
  });

  it('round-trips the extremes of every range', () => {
    const end = Date.UTC(2100, 0, 1);
    const extremes: Entry[] = [
      { ...donation, at: EPOCH_MS, recordedAt: end, qty: 1_000_000, packs: 1_000_000, seq: 2 ** 31 - 1 },
      { ...donation, at: end, recordedAt: EPOCH_MS, qty: 1, expiry: '2019-12-31', note: 'x'.repeat(500) },
      {
        kind: 'count',
        hub: 'a'.repeat(16),
        device: '0000',
        seq: 1,
        item: 'z'.repeat(16),
        at: end,
        recordedAt: end,
        counted: 0,
        seen: -10_000_000,
      },
      {
        kind: 'reversal',
        hub: 'hub1',
        device: 'devb',
        seq: 1,
        item: 'itma',
        at: T,
        recordedAt: T,
        target: 'zzzzzzzzzzzzzzzz.9999999999',
        targetKind: 'count',
        effect: 10_000_000,
      },
      {
        kind: 'pickup',
        hub: 'hub1',
        device: 'devb',
        seq: 1,
        item: 'itma',
        at: T,
        recordedAt: T,
        qty: 5,
        households: 100_000,
      },
    ];
    for (const e of extremes) expect(decodeEntry(encodeEntry(e))).toStrictEqual({ ok: true, entry: e });
  });

  it('never throws on arbitrary values, and refuses them with a reason', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = decodeEntry(value);
        expectWellFormed(result);
        expect(result.ok).toBe(false);
      }),
      fcOptions(3),
    );
  });

  it('never throws on arbitrary arrays of the right length', () => {
    fc.assert(
      fc.property(fc.array(junkArb, { minLength: 10, maxLength: 11 }), fc.nat(4), (tuple, kind) => {
        expectWellFormed(decodeEntry([1, kind, ...tuple.slice(2)]));
      }),
      fcOptions(2),
    );
  });

  it('refuses a valid tuple with any one of its first ten fields dropped', () => {
    fc.assert(
      fc.property(entryArb(), fc.nat(9), (e, drop) => {
        const tuple = [...encodeEntry(e)];
        tuple.splice(drop, 1);
        const result = decodeEntry(tuple);
        expect(result.ok).toBe(false);
        expectWellFormed(result);
      }),
      fcOptions(2),
    );
  });

  it('never throws when a field or an extra of a valid tuple is replaced or added', () => {
    // Expiry days near and far: beyond the range of dates decodeEntry once threw (see the regressions below).
    const extraArb = fc.oneof(
      fc.record({ key: fc.constantFrom('n', 'g', 'p', 'w', 't', 'zz'), value: junkArb }),
      fc.record({
        key: fc.constant('e'),
        value: fc.oneof(
          fc.integer({ min: -9e7, max: 9e7 }),
          fc.string(),
          fc.double({ min: -9e7, max: 9e7 }),
          fc.double(),
          junkArb,
        ),
      }),
    );
    fc.assert(
      fc.property(
        entryArb(),
        fc.oneof(
          fc.record({ at: fc.nat(11), value: junkArb }).map((m) => ({ ...m, extra: undefined })),
          extraArb.map((x) => ({ at: undefined, value: undefined, extra: x })),
        ),
        (e, m) => {
          const tuple: unknown[] = [...encodeEntry(e)];
          if (m.extra) {
            const extras = { ...((tuple[10] as object | undefined) ?? {}), [m.extra.key]: m.extra.value };
            tuple[10] = extras;
          } else if (m.at !== undefined) {
            tuple[m.at] = m.value;
          }
          expectWellFormed(decodeEntry(tuple));
        },
      ),
      fcOptions(3),
    );
  });

  it.each<[string, unknown, DomainMessage]>([
    ['not a list', { 0: 1 }, msg('entry.notList')],
    ['null', null, msg('entry.notList')],
    ['unknown version 2', withAt(valid.donation, 0, 2), msg('entry.unknownVersion', { value: '2' })],
    ['version as a string', withAt(valid.donation, 0, '1'), msg('entry.unknownVersion', { value: '"1"' })],
    ['empty list', [], msg('entry.unknownVersion', { value: 'undefined' })],
    ['too few fields', valid.donation.slice(0, 9), msg('entry.wrongFieldCount')],
    ['too many fields', [...valid.reversal, {}], msg('entry.wrongFieldCount')],
    ['kind code 9', withAt(valid.donation, 1, 9), msg('entry.unknownKind', { value: '9' })],
    ['kind code -1', withAt(valid.donation, 1, -1), msg('entry.unknownKind', { value: '-1' })],
    ['kind code 1.5', withAt(valid.donation, 1, 1.5), msg('entry.unknownKind', { value: '1.5' })],
    [
      'kind as a name',
      withAt(valid.donation, 1, 'donation'),
      msg('entry.unknownKind', { value: '"donation"' }),
    ],
    ['fractional time', withAt(valid.donation, 6, 1.5), msg('entry.timeNotWhole')],
    ['time as a string', withAt(valid.donation, 7, '0'), msg('entry.timeNotWhole')],
    ['extras as a list', [...valid.donation, [1]], msg('entry.extrasMalformed')],
    ['extras null', [...valid.donation, null], msg('entry.extrasMalformed')],
    ['extras a string', [...valid.donation, 'n'], msg('entry.extrasMalformed')],
    ['negative donation qty', withAt(valid.donation, 8, -1), invalid('donation', 'qty')],
    ['zero donation qty', withAt(valid.donation, 8, 0), invalid('donation', 'qty')],
    ['donation qty over the maximum', withAt(valid.donation, 8, 1_000_001), invalid('donation', 'qty')],
    ['fractional pickup qty', withAt(valid.pickup, 8, 2.5), invalid('pickup', 'qty')],
    ['negative discard qty', withAt(valid.discard, 8, -4), invalid('discard', 'qty')],
    ['negative count', withAt(valid.count, 8, -1), invalid('count', 'counted')],
    ['seen out of range', withAt(valid.count, 9, 10_000_001), invalid('count', 'seen')],
    ['unknown donation source', withAt(valid.donation, 9, 5), invalid('donation', 'source')],
    ['unknown discard reason', withAt(valid.discard, 9, 4), invalid('discard', 'reason')],
    ['negative households', withAt(valid.pickup, 9, -1), invalid('pickup', 'households')],
    ['below-zero flag not 1', [...valid.pickup, { w: 2 }], invalid('pickup', 'belowZero')],
    ['reversal of a reversal', withAt(valid.reversal, 10, { t: 4 }), invalid('reversal', 'targetKind')],
    ['reversal without a target kind', withAt(valid.reversal, 10, {}), invalid('reversal', 'targetKind')],
    ['reversal target not an entry id', withAt(valid.reversal, 9, 'devb'), invalid('reversal', 'target')],
    ['reversal target with capitals', withAt(valid.reversal, 9, 'DEVB.2'), invalid('reversal', 'target')],
    ['hub id too short', withAt(valid.donation, 2, 'ab'), invalid('donation', 'hub')],
    ['device id with capitals', withAt(valid.donation, 3, 'DEVA'), invalid('donation', 'device')],
    ['item id a number', withAt(valid.donation, 5, 1234), invalid('donation', 'item')],
    ['sequence number 0', withAt(valid.donation, 4, 0), invalid('donation', 'seq')],
    ['sequence number 2^31', withAt(valid.donation, 4, 2 ** 31), invalid('donation', 'seq')],
    [
      'recorded before 2020',
      withAt(withAt(valid.donation, 6, -1), 7, -1 - SEC),
      invalid('donation', 'recordedAt'),
    ],
    [
      'recorded after 2100',
      withAt(withAt(valid.donation, 6, LATE_SEC), 7, LATE_SEC - SEC),
      invalid('donation', 'recordedAt'),
    ],
    ['happened before 2020', withAt(valid.donation, 7, SEC + 1), invalid('donation', 'at')],
    ['note too long', [...valid.donation, { n: 'x'.repeat(501) }], invalid('donation', 'note')],
    ['note not a string', [...valid.donation, { n: 5 }], invalid('donation', 'note')],
    ['group 0', [...valid.donation, { g: 0 }], invalid('donation', 'group')],
    ['packs 0', [...valid.donation, { p: 0 }], invalid('donation', 'packs')],
    ['expiry not a day number', [...valid.donation, { e: 1.5 }], invalid('donation', 'expiry')],
  ])('refuses %s', (_name, wire, reason) => {
    const result = decodeEntry(wire);
    expect(result.ok).toBe(false);
    expect(result.ok ? null : result.reason).toEqual(reason);
  });

  // Regressions: values that can arrive from an untrusted peer through the Y.Doc and once made decodeEntry
  // throw instead of setting the entry aside.
  describe('regressions', () => {
    it('does not throw on an object whose toString is not a function (version field)', () => {
      expect(() => decodeEntry([{ toString: 1 }])).not.toThrow();
    });
    it('does not throw on an object whose toString is not a function (kind field)', () => {
      expect(() => decodeEntry(withAt(valid.donation, 1, { toString: 1 }))).not.toThrow();
    });
    it('does not throw on an expiry day number beyond the range of dates', () => {
      expect(() => decodeEntry([...valid.donation, { e: 1e12 }])).not.toThrow();
    });
    it('an empty note is not a note: the schema refuses it, so it can never be lost in a round trip', () => {
      const e: Entry = { ...donation, note: '' };
      expect(entrySchema.safeParse(e).success).toBe(false);
      expect(decodeEntry(encodeEntry(e)).ok).toBe(false);
    });
  });
});

describe('the stored form (storedEntry)', () => {
  it('is the canonical tuple without its device, the version and kind in one number, and reads back', () => {
    fc.assert(
      fc.property(entryArb(), (entry) => {
        const canonical = encodeEntry(entry);
        const stored = storedEntry(entry);
        expect(stored).toEqual([
          STORED_KIND_BASE + (canonical[1] as number),
          canonical[2],
          ...canonical.slice(4),
        ]);
        expect(stored.length).toBe(canonical.length - 2);
        expect(decodeEntry(stored, entry.device)).toEqual({ ok: true, entry });
        // Read in another device's array, it is that device's entry: its signature will not hold there.
        expect(decodeEntry(stored, 'devzzzzz')).toEqual({
          ok: true,
          entry: { ...entry, device: 'devzzzzz' },
        });
      }),
      fcOptions(),
    );
  });

  it('is a version an earlier Larder does not know: it sets the entry aside, visibly, and keeps it', () => {
    const entry: Donation = {
      kind: 'donation',
      hub: 'huba0001',
      device: 'deva0001',
      seq: 1,
      item: 'itema001',
      qty: 3,
      source: 'individual',
      at: EPOCH_MS + 1000,
      recordedAt: EPOCH_MS + 1000,
    };
    // decodeEntryBySchema is decodeEntry as it was before the stored form.
    expect(decodeEntryBySchema(storedEntry(entry))).toEqual({
      ok: false,
      reason: msg('entry.unknownVersion', { value: String(STORED_KIND_BASE) }),
    });
    expect(decodeEntryBySchema(encodeEntry(entry))).toEqual({ ok: true, entry });
  });
});

describe('the packed form (packedEntry)', () => {
  const c = (...codes: number[]) => String.fromCharCode(...codes);
  /** `donation` packed, written out by hand: the layout peers on other versions depend on. */
  const DONATION_PACKED =
    c(0x40 + 0x20 + 0) + // donation (kind 0), with extras
    c(8) +
    'hub1' + // hub: its length (4), then its characters
    c(14) + // seq 7
    c(8) +
    'itma' +
    c(74, 97, 115, 67, 15) + // recorded 126,327,845 s after 2020-01-01, 6 bits a character, lowest first
    c(96, 112, 1) + // at: 3,600 s before
    c(24) + // qty 12
    c(2) + // source 1: business
    c(10) + // extras 5: bits 0 (e) and 2 (g), their values in that order
    c(90, 50) + // expiry 2024-06-01: day 1,613
    c(6); // group 3

  it('writes the documented layout', () => {
    expect(packedEntry(donation)).toBe(DONATION_PACKED);
    expect(decodeEntry(DONATION_PACKED, 'deva')).toStrictEqual({ ok: true, entry: donation });
    // Every character below 128: one byte each in UTF-8 (in the doc), but the texts'.
    expect([...DONATION_PACKED].every((ch) => ch.charCodeAt(0) < 128)).toBe(true);
  });

  it('round-trips every valid entry exactly, and the extremes of every range', () => {
    fc.assert(
      fc.property(entryArb(), (e) => {
        expect(decodeEntry(packedEntry(e), e.device)).toStrictEqual({ ok: true, entry: e });
        // Read in another device's array, it is that device's entry: its signature will not hold there.
        expect(decodeEntry(packedEntry(e), 'devzzzzz')).toStrictEqual({
          ok: true,
          entry: { ...e, device: 'devzzzzz' },
        });
      }),
      fcOptions(2),
    );
    const extremes: Entry[] = [
      { ...donation, group: Number.MAX_SAFE_INTEGER, seq: 2 ** 31 - 1, note: '\u{1F34E}'.repeat(500) },
      { ...donation, expiry: '1970-01-02', at: Date.UTC(2100, 0, 1), recordedAt: EPOCH_MS },
      {
        kind: 'reversal',
        hub: 'h'.repeat(16),
        device: 'deva',
        seq: 1,
        item: 'i'.repeat(16),
        at: T,
        recordedAt: T,
        target: 'zzzzzzzzzzzzzzzz.9999999999',
        targetKind: 'count',
        effect: -10_000_000,
        targetAt: EPOCH_MS,
      },
    ];
    for (const e of extremes)
      expect(decodeEntry(packedEntry(e), 'deva')).toStrictEqual({ ok: true, entry: e });
  });

  it('reads each id as written, also two whose characters hash alike (ids are read once and shared)', () => {
    // "2000" and "0n00" have the same 31-based hash: the shared copy of one is not the other.
    for (const hubs of [
      ['2000', '0n00'],
      ['0n00', '2000'],
    ])
      for (const hub of [...hubs, ...hubs])
        expect(decodeEntry(packedEntry({ ...donation, hub }), 'deva')).toStrictEqual({
          ok: true,
          entry: { ...donation, hub },
        });
  });

  it('keeps -0, as Yjs keeps it in a tuple: an undo of a count that changed nothing', () => {
    const undo: Entry = {
      kind: 'reversal',
      hub: 'hub1',
      device: 'deva',
      seq: 2,
      item: 'itma',
      at: T,
      recordedAt: T,
      target: 'deva.1',
      targetKind: 'count',
      effect: -0,
    };
    const read = decodeEntry(packedEntry(undo), 'deva');
    expect(read.ok && Object.is((read.entry as { effect: number }).effect, -0)).toBe(true);
    expect(read).toStrictEqual({ ok: true, entry: undo });
  });

  it('is not a list to an earlier Larder: it sets the entry aside, visibly, and keeps it', () => {
    // decodeEntryBySchema is decodeEntry as it was before the stored and packed forms.
    expect(decodeEntryBySchema(DONATION_PACKED)).toEqual({ ok: false, reason: msg('entry.notList') });
  });

  it('refuses what it cannot read, saying from where', () => {
    const at = (n: number) => msg('entry.packedUnreadable', { at: n });
    const end = DONATION_PACKED.length;
    const cases: [string, string, DomainMessage][] = [
      ['nothing', '', at(0)],
      [
        'a first character below the packed kinds',
        c(0x3f) + DONATION_PACKED.slice(1),
        msg('entry.unknownVersion', { value: '63' }),
      ],
      [
        'a first character past them',
        c(0xc0) + DONATION_PACKED.slice(1),
        msg('entry.unknownVersion', { value: '192' }),
      ],
      ['one character more', `${DONATION_PACKED}x`, at(end)],
      ['a hub longer than what is left', c(0x40) + c(200) + 'hub1', at(1)],
      ['a number cut short', DONATION_PACKED.slice(0, 12) + c(97), at(13)],
      ['a number ending in a needless zero', c(0x40, 8) + 'hub1' + c(64 | 14, 0), at(7)],
      ['a number of ten characters', c(0x40, 8) + 'hub1' + c(...Array<number>(9).fill(64 | 1), 1), at(15)],
      ['a character above 127 where a number goes', c(0x40, 8) + 'hub1' + c(200), at(6)],
      ['a negative length', c(0x40, 9) + 'hub1', at(1)],
    ];
    for (const [name, wire, reason] of cases)
      expect(decodeEntry(wire, 'deva'), name).toEqual({ ok: false, reason });
    // Any cut of a valid entry is refused: none reads as another entry.
    for (let n = 0; n < end; n++)
      expect(decodeEntry(DONATION_PACKED.slice(0, n), 'deva').ok, String(n)).toBe(false);
  });

  it('refuses extras it does not know, and a kind it does not know, as a tuple is refused', () => {
    const head = DONATION_PACKED.slice(0, DONATION_PACKED.indexOf(c(10), 20));
    expect(head.length).toBe(DONATION_PACKED.length - 4);
    expect(decodeEntry(`${head}${c(0)}`, 'deva')).toEqual({
      ok: false,
      reason: msg('entry.extrasMalformed'),
    });
    // Bit 9: past the nine extras.
    expect(decodeEntry(`${head}${c(64, 16)}`, 'deva')).toEqual({
      ok: false,
      reason: msg('entry.extrasMalformed'),
    });
    expect(decodeEntry(c(0x40 + 0x20 + 31) + DONATION_PACKED.slice(1), 'deva')).toEqual({
      ok: false,
      reason: msg('entry.unknownKind', { value: '31' }),
    });
    // Named as a kind it does not know even when the rest cannot be read: a later Larder's kind may hold
    // values of other types.
    expect(decodeEntry(c(0x40 + 20) + '\u00ff', 'deva')).toEqual({
      ok: false,
      reason: msg('entry.unknownKind', { value: '20' }),
    });
    // A field of the right type with a wrong value is named as the schema names it.
    expect(decodeEntry(DONATION_PACKED, 'd')).toEqual({ ok: false, reason: invalid('donation', 'device') });
  });
});
