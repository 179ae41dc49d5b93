import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { Projector } from '../../../shared/projection';
import {
  CHECKPOINT_LIMITS,
  decodeBody,
  decodeHead,
  encodeBody,
  type CheckpointBody,
} from '../../../shared/checkpoint/format';
import { checkpointBody } from '../../../shared/checkpoint/make';
import type { LedgerRow } from '../../../shared/projection';
import { coversAt, cutsOf } from './history';
import { readBytes } from './rawRows';

/**
 * What a peer's malformed checkpoint gets: each bad part refused with a message that says where and what,
 * and what a well-formed one keeps (cut proofs, settings, undos, the order it was written in). Quick
 * tests beside format.test.ts's properties.
 */
const NET = 'net0';
const T = Date.UTC(2025, 0, 1);
const donation = (device: string, seq: number, item = 'itma'): Entry => ({
  kind: 'donation',
  hub: 'hub1',
  device,
  seq,
  item,
  at: T + seq * 1000,
  recordedAt: T + seq * 1000,
  qty: seq,
  source: 'individual',
});
const pickup = (device: string, seq: number): Entry =>
  ({ ...donation(device, seq), kind: 'pickup', qty: 1 }) as Entry;

function bodyOf(history: readonly Entry[]): CheckpointBody {
  const p = new Projector();
  for (const e of history) p.apply(e);
  return checkpointBody({
    network: NET,
    by: 'deva',
    at: T,
    covers: coversAt(NET, history, cutsOf(history, [1, 1, 1, 1])),
    stock: p.allStock(),
    usage: p.allUsage(),
    ledger: p.allLedger(),
    settings: [],
  });
}
const history = [donation('deva', 1), donation('deva', 2, 'itmb'), pickup('devb', 1), donation('devb', 2)];
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown[];
const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const text = (e: { head: Uint8Array; rows: Uint8Array }) =>
  [e.head, e.rows].map((b) => new TextDecoder().decode(b));

/** The head's bytes with one part replaced (the parts of encodeBody's tuple, by index). */
function headWith(body: CheckpointBody, at: number, change: (part: unknown) => unknown): Uint8Array {
  const tuple = json(encodeBody(body).head);
  tuple[at] = change(structuredClone(tuple[at]));
  return bytesOf(tuple);
}
const COVERS = 4;
const STOCK = 5;
const USAGE = 6;

describe('a peer’s malformed checkpoint head', () => {
  const body = bodyOf(history);

  it('says which stock row is wrong and how', () => {
    const stock = (i: number, v: unknown) =>
      headWith(body, STOCK, (rows) => {
        (rows as unknown[][])[0]![i] = v;
        return rows;
      });
    expect(() => decodeHead(stock(0, 'Hub!'))).toThrow('malformed at stock row 0: hub or item is not an id');
    expect(() => decodeHead(stock(1, 7))).toThrow('stock row 0: hub or item is not an id');
    for (const [i, v] of [
      [2, 1.5],
      [2, 2 ** 41],
      [6, Date.UTC(2100, 0, 2)],
      [6, -1],
      [7, -1],
      [7, 0.5],
    ] as const)
      expect(() => decodeHead(stock(i, v))).toThrow('stock row 0: a figure is not a whole number');
    for (const [i, v] of [
      [4, 'x'],
      [4, Date.UTC(2100, 0, 2)],
      [5, -1],
    ] as const)
      expect(() => decodeHead(stock(i, v))).toThrow('stock row 0: a time is not a time');
    expect(() => decodeHead(stock(4, null))).not.toThrow();
    expect(() => decodeHead(stock(3, 'lots'))).toThrow('stock row 0: not a list of pairs');
    expect(() =>
      decodeHead(
        stock(
          3,
          Array.from({ length: 100_001 }, () => ['2025-01-01', 1]),
        ),
      ),
    ).toThrow('stock row 0: not a list of pairs');
    for (const lots of [
      [['2025-1-1', 1]],
      [['2025-01-01', 1.5]],
      [
        ['2025-01-01', 1],
        ['2025-01-01', 2],
      ],
    ])
      expect(() => decodeHead(stock(3, lots))).toThrow('stock row 0: a pair is not a key and a number');
    expect(() => decodeHead(stock(3, [['2025-01-01', 1, 2]]))).toThrow('stock row 0: not a list of 2');
    expect(() => decodeHead(headWith(body, STOCK, (rows) => [...(rows as unknown[]), [1, 2]]))).toThrow(
      `stock row ${body.stock.length}: not a list of 8`,
    );
    expect(() =>
      decodeHead(headWith(body, STOCK, (rows) => [...(rows as unknown[]), (rows as unknown[])[0]])),
    ).toThrow('malformed at stock: a row appears twice');
  });

  it('says which usage row is wrong and how', () => {
    expect(body.usage.length).toBeGreaterThan(0);
    const usage = (i: number, v: unknown) =>
      headWith(body, USAGE, (rows) => {
        (rows as unknown[][])[0]![i] = v;
        return rows;
      });
    for (const [i, v] of [
      [0, 'Hub!'],
      [1, '2025-1-01'],
      [1, 20250101],
      [2, -1],
    ] as const)
      expect(() => decodeHead(usage(i, v))).toThrow(
        'malformed at usage row 0: not a hub, a day and a number',
      );
    expect(() => decodeHead(usage(3, [['Item!', 1]]))).toThrow(
      'usage row 0: a pair is not a key and a number',
    );
    expect(() =>
      decodeHead(headWith(body, USAGE, (rows) => [...(rows as unknown[]), (rows as unknown[])[0]])),
    ).toThrow('malformed at usage: a row appears twice');
  });

  it('says which cover is wrong and how, and where the shape is wrong', () => {
    const cover = (i: number, v: unknown) =>
      headWith(body, COVERS, (covers) => {
        (covers as unknown[][])[0]![i] = v;
        return covers;
      });
    const [first] = body.covers;
    expect(() => decodeHead(cover(1, first!.seq + 1))).toThrow(
      `malformed at covers/${first!.device}: a chain at ${first!.seq + 1} has ${first!.seq + 1} lines after its last block`,
    );
    expect(() => decodeHead(cover(6, first!.seq + 1))).toThrow(
      `malformed at covers/${first!.device}: counts past what it covers`,
    );
    expect(() => decodeHead(headWith(body, 3, () => -1))).toThrow(/^The checkpoint is malformed at 3: /);
    expect(() => decodeHead(bytesOf({}))).toThrow(/^The checkpoint is malformed at : /);
    expect(() => decodeHead(new Uint8Array([0x5b, 0xff, 0x5d]))).toThrow(
      "The checkpoint's head is not readable (not UTF-8 JSON)",
    );
    const huge = { byteLength: CHECKPOINT_LIMITS.bytes + 1 } as Uint8Array;
    expect(() => decodeHead(huge)).toThrow(
      `A checkpoint's head of ${CHECKPOINT_LIMITS.bytes + 1} bytes is larger than the ${CHECKPOINT_LIMITS.bytes} allowed`,
    );
  });
});

describe('a peer’s malformed checkpoint rows', () => {
  const body = bodyOf(history);
  /** The body's rows with one row changed, encoded, and read against a head naming exactly those bytes. */
  const row = (id: string, change: Partial<LedgerRow> | Record<string, unknown>) => {
    const changed = {
      ...body,
      rows: body.rows.map((r) => (r.id === id ? { ...r, ...change } : r)),
    } as CheckpointBody;
    return readBytes(changed, encodeBody(changed).rows);
  };

  it('says which row is wrong and how', () => {
    expect(() => readBytes(body, new Uint8Array(0), 0)).toThrow(
      'malformed at rows: its bytes end before its last value',
    );
    expect(() => row('deva.1', { qty: 0 })).toThrow('malformed at row 0: not a valid entry (its qty)');
    expect(() => row('devb.2', { recordedAt: Date.UTC(2101, 0, 1) })).toThrow(
      'malformed at row 3: not a valid entry (its recordedAt)',
    );
    for (const applied of [2 ** 41, -(2 ** 41)])
      expect(() => row('deva.1', { applied })).toThrow(
        'malformed at row 0: what it counts for is not a whole number',
      );
    for (const undo of ['deva', 'Dev.1'])
      expect(() => row('deva.1', { reversedBy: undo })).toThrow(
        'malformed at rows/entry ids: string 0 is not an entry id',
      );
    expect(() => row('deva.1', { hub: 'Hub!' })).toThrow('malformed at rows/ids: string 0 is not an id');
  });

  it('refuses rows that disagree with the covers or the stock', () => {
    const shortRows = { ...body, rows: body.rows.filter((r) => r.id !== 'devb.2') };
    expect(() => decodeBody(encodeBody(shortRows))).toThrow(
      'The checkpoint is malformed at covers/devb: says 2 counts, the rows end at 1',
    );
    const counts = {
      ...body,
      stock: body.stock.map((s) => (s.item === 'itmb' ? { ...s, entryCount: 2 } : s)),
    };
    expect(() => decodeBody(encodeBody(counts))).toThrow(
      'Stock of hub1|itmb counts 2 entries, but the checkpoint has 1',
    );
    const noRow = { ...body, stock: body.stock.filter((s) => s.item !== 'itmb') };
    expect(() => decodeBody(encodeBody(noRow))).toThrow('Entries of hub1|itmb have no stock row');
  });
});

describe('a well-formed checkpoint', () => {
  const body = bodyOf(history);

  it('is the same bytes whatever order its parts were listed in', () => {
    const reversed: CheckpointBody = {
      ...body,
      covers: [...body.covers].reverse(),
      stock: [...body.stock].reverse(),
      usage: [...body.usage].reverse(),
      rows: [...body.rows].reverse(),
      settings: [...body.settings].reverse(),
    };
    expect(body.covers.length).toBeGreaterThan(1);
    expect(body.stock.length).toBeGreaterThan(1);
    expect(text(encodeBody(reversed))).toEqual(text(encodeBody(body)));
    // Lots and pickups keyed in another order too.
    const lots = body.stock.map((s) => ({
      ...s,
      lots: Object.fromEntries(Object.entries({ '2025-03-01': 0, '2025-02-01': 0, ...s.lots }).reverse()),
    }));
    const sorted = body.stock.map((s) => ({ ...s, lots: { '2025-02-01': 0, '2025-03-01': 0, ...s.lots } }));
    expect(text(encodeBody({ ...body, stock: lots }))).toEqual(text(encodeBody({ ...body, stock: sorted })));
  });

  it('keeps cut proofs, settings, undos and what undid them', () => {
    const undo: Entry = {
      kind: 'reversal',
      hub: 'hub1',
      device: 'deva',
      seq: 3,
      item: 'itma',
      at: T + 3000,
      recordedAt: T + 3000,
      target: 'deva.1',
      targetKind: 'donation',
      effect: -1,
      targetAt: T + 1000,
    };
    const withUndo = bodyOf([...history, undo]);
    const cut = {
      ...withUndo,
      covers: withUndo.covers.map((c) =>
        c.device === 'devb' ? { ...c, proof: { kind: 'cut' as const } } : c,
      ),
      settings: [
        { map: 'levels' as const, key: 'hub1|itma', env: { v: null, by: 'deva', at: T, s: 'S'.repeat(86) } },
        {
          map: 'items' as const,
          key: 'itmb',
          env: { v: { name: 'B' }, by: 'deva', at: T, s: 'S'.repeat(86) },
        },
        {
          map: 'items' as const,
          key: 'itma',
          env: { v: { name: 'A' }, by: 'deva', at: T, s: 'S'.repeat(86) },
        },
      ],
    } as CheckpointBody;
    const again = decodeBody(encodeBody(cut));
    expect(again.covers.find((c) => c.device === 'devb')!.proof).toEqual({ kind: 'cut' });
    expect(again.covers.find((c) => c.device === 'deva')!.proof).toMatchObject({ kind: 'head' });
    expect(again.settings.map((s) => `${s.map}/${s.key}`)).toEqual([
      'items/itma',
      'items/itmb',
      'levels/hub1|itma',
    ]);
    expect(again.settings[2]!.env).toEqual({ v: null, by: 'deva', at: T, s: 'S'.repeat(86) });
    const undone = again.rows.find((r) => r.id === 'deva.1')!;
    expect(undone).toMatchObject({ applied: 0, reversedBy: 'deva.3' });
    expect(again.rows.find((r) => r.id === 'deva.2')).not.toHaveProperty('reversedBy');
  });
});
