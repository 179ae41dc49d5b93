import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { Projector } from '../../../shared/projection';
import {
  CHECKPOINT_LIMITS,
  decodeBody,
  decodeHead,
  decodeRows,
  encodeBody,
  type CheckpointBody,
} from '../../../shared/checkpoint/format';
import { checkpointBody } from '../../../shared/checkpoint/make';
import { coversAt, cutsOf } from './history';
import { COLUMN, fromUints, parseRaw, readBytes, readChanged, uints } from './rawRows';

/**
 * A checkpoint at its edges: a history with transfers, undos and several days (what the receiver's ledger
 * rows must hold after decoding: slots and transfer roots included), the exact bounds of a peer's figures,
 * bytes that are not UTF-8 inside a string, and the messages that say where a part is wrong. Quick tests
 * beside format-peer.test.ts.
 */
const NET = 'net0';
const T = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;
const at = (ms: number) => ({ at: ms, recordedAt: ms });

const history: Entry[] = [
  {
    kind: 'donation',
    hub: 'hub1',
    device: 'deva',
    seq: 1,
    item: 'itma',
    ...at(T),
    qty: 10,
    source: 'individual',
  },
  {
    kind: 'transfer_out',
    hub: 'hub1',
    device: 'deva',
    seq: 2,
    item: 'itma',
    ...at(T + 1000),
    qty: 4,
    to: 'hub2',
  },
  { kind: 'pickup', hub: 'hub1', device: 'deva', seq: 3, item: 'itmb', ...at(T + 2 * DAY), qty: 1 },
  {
    kind: 'transfer_in',
    hub: 'hub2',
    device: 'devb',
    seq: 1,
    item: 'itma',
    ...at(T + DAY),
    qty: 4,
    from: 'hub1',
    transfer: 'deva.2',
  },
  { kind: 'pickup', hub: 'hub2', device: 'devb', seq: 2, item: 'itma', ...at(T + DAY + 1000), qty: 1 },
  {
    kind: 'reversal',
    hub: 'hub2',
    device: 'devb',
    seq: 3,
    item: 'itma',
    ...at(T + DAY + 2000),
    target: 'devb.2',
    targetKind: 'pickup',
    effect: 1,
    targetAt: T + DAY + 1000,
  },
] as Entry[];

function bodyOf(entries: readonly Entry[]): CheckpointBody {
  const p = new Projector();
  for (const e of entries) p.apply(e);
  return checkpointBody({
    network: NET,
    by: 'deva',
    at: T + 3 * DAY,
    covers: coversAt(NET, entries, cutsOf(entries, [1, 1, 1, 1])),
    stock: p.allStock(),
    usage: p.allUsage(),
    ledger: p.allLedger(),
    settings: [],
  });
}
const body = bodyOf(history);
const byId = <T extends { id: string }>(rows: readonly T[]) =>
  [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown[];
const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const text = (e: { head: Uint8Array; rows: Uint8Array }) =>
  [e.head, e.rows].map((b) => new TextDecoder().decode(b));
const COVERS = 4;
const STOCK = 5;
const USAGE = 6;

function headWith(at: number, change: (part: unknown) => unknown): Uint8Array {
  const tuple = json(encodeBody(body).head);
  tuple[at] = change(structuredClone(tuple[at]));
  return bytesOf(tuple);
}
const stockWith = (i: number, v: unknown) =>
  headWith(STOCK, (rows) => {
    (rows as unknown[][])[0]![i] = v;
    return rows;
  });
const usageWith = (i: number, v: unknown) =>
  headWith(USAGE, (rows) => {
    (rows as unknown[][])[0]![i] = v;
    return rows;
  });

describe('a checkpoint with transfers, undos and several days', () => {
  it('gives the receiver the sender’s ledger rows, with each one’s slot and transfer', () => {
    // A send nobody requested is its own transfer: no slot, but a root.
    expect(body.rows.flatMap((r) => (r.slot ? [r.slot] : [])).sort()).toEqual(['in:deva.2', 'undo:devb.2']);
    expect(
      body.rows
        .filter((r) => r.root)
        .map((r) => r.id)
        .sort(),
    ).toEqual(['deva.2', 'devb.1']);
    expect(byId(decodeBody(encodeBody(body)).rows)).toEqual(byId(body.rows));
  });

  it('is the same bytes whatever order its usage rows, lots and pickups were listed in', () => {
    expect(body.usage.length).toBeGreaterThan(2);
    const days = ['2025-03-01', '2025-02-01', '2025-01-15'];
    const descending = Object.fromEntries(days.map((d) => [d, 1]));
    const ascending = Object.fromEntries([...days].reverse().map((d) => [d, 1]));
    const items = ['itmz', 'itmb', 'itma'];
    const pickupsOf = (order: string[]) => Object.fromEntries(order.map((item) => [item, 2]));
    const listed = (lots: Record<string, number>, order: string[], usageOrder: 'as made' | 'reversed') => ({
      ...body,
      stock: body.stock.map((s) => ({ ...s, lots })),
      usage: (usageOrder === 'reversed' ? [...body.usage].reverse() : body.usage).map((u) => ({
        ...u,
        pickups: pickupsOf(order),
      })),
    });
    const one = text(encodeBody(listed(descending, items, 'reversed')));
    const other = text(encodeBody(listed(ascending, [...items].reverse(), 'as made')));
    expect(one).toEqual(other);
    expect(one[0]).toContain('[["2025-01-15",1],["2025-02-01",1],["2025-03-01",1]]');
    expect(one[0]).toContain('[["itma",2],["itmb",2],["itmz",2]]');
  });

  it('keeps each setting’s value', () => {
    const withSettings: CheckpointBody = {
      ...body,
      settings: [
        {
          map: 'items',
          key: 'itma',
          env: { v: { name: 'Rice', unit: 'kg' }, by: 'deva', at: T, s: 'S'.repeat(86) },
        },
        {
          map: 'levels',
          key: 'hub1|itma',
          env: { v: { min: 2, target: 8 }, by: 'devb', at: T + 1, s: 'R'.repeat(86) },
        },
      ],
    } as CheckpointBody;
    expect(decodeBody(encodeBody(withSettings)).settings).toEqual(withSettings.settings);
  });
});

describe('a peer’s head at the exact bounds', () => {
  it('takes the largest figures, times and lists, and refuses one more', () => {
    const fine = [
      [2, 2 ** 40],
      [2, -(2 ** 40)],
      [6, Date.UTC(2100, 0, 1)],
      [6, 0],
      [7, 0],
      [4, Date.UTC(2100, 0, 1)],
    ] as const;
    for (const [i, v] of fine) expect(() => decodeHead(stockWith(i, v)), `${i}: ${v}`).not.toThrow();
    expect(() => decodeHead(stockWith(2, 2 ** 40 + 1))).toThrow(
      'stock row 0: a figure is not a whole number',
    );
    expect(() => decodeHead(usageWith(2, 0))).not.toThrow();
    const days = Array.from({ length: 100_000 }, (_, i) => {
      const d = String(i).padStart(8, '0');
      return [`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`, 1];
    });
    expect(decodeHead(stockWith(3, days)).stock[0]!.lots['0009-99-99']).toBe(1);
  });

  it('refuses a list whose text reads as an id or a day', () => {
    expect(() => decodeHead(stockWith(0, ['hub1']))).toThrow('stock row 0: hub or item is not an id');
    expect(() => decodeHead(usageWith(1, ['2025-01-01']))).toThrow(
      'usage row 0: not a hub, a day and a number',
    );
  });

  it('reads a part of exactly 512 MiB (refused later as unreadable here), not as too large', () => {
    const exactly = { byteLength: CHECKPOINT_LIMITS.bytes } as Uint8Array;
    expect(() => decodeHead(exactly)).toThrow("The checkpoint's head is not readable (not UTF-8 JSON)");
  });

  it('refuses bytes that are not UTF-8 even inside a string (read leniently, they would be another text)', () => {
    const inString = Uint8Array.from([0x5b, 0x22, 0x61, 0xff, 0x22, 0x5d]); // ["a\xff"]
    expect(() => decodeHead(inString)).toThrow("The checkpoint's head is not readable (not UTF-8 JSON)");
  });

  it('refuses covers of more positions than a receiver keeps track of, and takes exactly as many', () => {
    // The first device's cover moved so that all of them together cover `total` positions.
    const covering = (total: number) =>
      headWith(COVERS, (covers) => {
        const list = covers as unknown[][];
        const seq = total - list.slice(1).reduce((n, c) => n + (c[1] as number), 0);
        list[0]![1] = seq;
        list[0]![3] = Array.from({ length: seq % 64 }, () => 'line');
        return list;
      });
    const limit = CHECKPOINT_LIMITS.positions;
    expect(decodeHead(covering(limit)).covers.reduce((n, c) => n + c.seq, 0)).toBe(limit);
    expect(() => decodeHead(covering(limit + 1))).toThrow(
      `The checkpoint is malformed at covers: ${limit + 1} positions, more than ${limit}`,
    );
  });

  it('says which device is covered twice', () => {
    const twice = headWith(COVERS, (covers) => [...(covers as unknown[]), (covers as unknown[])[0]]);
    expect(() => decodeHead(twice)).toThrow(
      `The checkpoint is malformed at covers/${body.covers[0]!.device}: covered twice`,
    );
  });
});

describe('a peer’s rows', () => {
  it('that are not the rows the head names are refused as such', () => {
    const head = decodeHead(encodeBody(body).head);
    expect(() => decodeRows(head, bytesOf([]))).toThrow(
      'The checkpoint is malformed at rows: they are not the rows the head names',
    );
  });

  it('that are not rows of this format (the JSON of version 1) are refused, naming the rows', () => {
    const v1 = bytesOf([[[1, 0, 'hub1', 'deva', 1, 'itma', 157_766_400, 0, 10, 0], 10, null]]);
    expect(() => readBytes(body, v1, 1)).toThrow('The checkpoint is malformed at rows: not rows of format 2');
    expect(() => readBytes(body, new Uint8Array(0), 0)).toThrow(
      'The checkpoint is malformed at rows: its bytes end before its last value',
    );
  });

  it('must be as many as the head says, and their runs as many', () => {
    const count = body.rows.length;
    expect(() => readChanged(body, () => {}, count + 1)).toThrow(
      `malformed at rows: not a list of ${count + 1} rows`,
    );
    expect(() => readChanged(body, (raw) => (raw.devices[0]!.runs[0]![1] -= 1))).toThrow(
      `malformed at rows/devices: their runs hold ${count - 1} rows, not ${count}`,
    );
    expect(() => readChanged(body, (raw) => (raw.devices[0]!.runs[0]![1] = 0))).toThrow(
      /malformed at rows\/devices\/deva: its runs hold more than the 6 rows/,
    );
  });

  it('refuse a row whose kind has no code, or with a field its kind does not have', () => {
    expect(() => readChanged(body, (raw) => (raw.columns[COLUMN.kind]![0] = 9))).toThrow(
      'malformed at row 0: not a valid entry (no kind 9)',
    );
    const BELOW_ZERO = 16;
    expect(() => readChanged(body, (raw) => (raw.columns[COLUMN.flags]![0]! |= BELOW_ZERO))).toThrow(
      'malformed at row 0: it holds fields its kind does not have',
    );
  });

  it('refuse an undo that is not an entry id, or not in the part', () => {
    const undone = {
      ...body,
      rows: body.rows.map((r) => (r.id === 'deva.1' ? { ...r, reversedBy: 'devb' } : r)),
    };
    expect(() => readBytes(undone, encodeBody(undone).rows)).toThrow(
      /malformed at rows\/entry ids: string \d+ is not an entry id/,
    );
    expect(() =>
      readChanged(body, (raw) => {
        const undos = uints(raw.columns[COLUMN.undo]!);
        undos[0] = raw.refs.length + 1;
        raw.columns[COLUMN.undo] = fromUints(undos);
      }),
    ).toThrow('malformed at row 0: its undo names no string of the part');
  });

  it('say which row holds an entry past what the checkpoint counts of its device', () => {
    // deva's 1, 2, 3 as 1, 2, 9
    expect(() =>
      readChanged(body, (raw) => {
        raw.devices[0]!.runs = [
          [0, 2],
          [6, 1],
        ];
      }),
    ).toThrow(
      'The checkpoint is malformed at row 2: entry deva.9 is past what the checkpoint counts of its device',
    );
  });

  it('refuse a device listed twice or out of order, so that no entry is there twice', () => {
    expect(() => readChanged(body, (raw) => raw.devices.push(raw.devices[0]!))).toThrow(
      'malformed at rows/devices: a device is listed twice, out of order or not among the ids',
    );
    expect(() => readChanged(body, (raw) => raw.devices.reverse())).toThrow(
      'malformed at rows/devices: a device is listed twice, out of order or not among the ids',
    );
  });

  it('refuse any string of either dictionary that is not an id or an entry id, whatever it names', () => {
    const { ids, refs } = parseRaw(encodeBody(body).rows);
    // Devices, hubs, items, a send's `to`, a receipt's `from`; undo targets, transfers, undos.
    expect(ids).toEqual(['deva', 'devb', 'hub1', 'hub2', 'itma', 'itmb']);
    expect(refs).toEqual(['deva.2', 'devb.2', 'devb.3']);
    for (let i = 0; i < ids.length; i++)
      for (const bad of ['Hub!', 'abc', 'deva.1'])
        expect(() => readChanged(body, (raw) => (raw.ids[i] = bad))).toThrow(
          `malformed at rows/ids: string ${i} is not an id`,
        );
    for (let i = 0; i < refs.length; i++)
      for (const bad of ['deva', 'Dev.1', 'deva.12345678901'])
        expect(() => readChanged(body, (raw) => (raw.refs[i] = bad))).toThrow(
          `malformed at rows/entry ids: string ${i} is not an entry id`,
        );
  });

  it('refuse dictionaries out of order, columns with bytes left over, and a column that ends early', () => {
    expect(() => readChanged(body, (raw) => raw.ids.reverse())).toThrow(
      'malformed at rows/ids: string 1 is not after the one before it',
    );
    expect(() =>
      readChanged(
        body,
        (raw) => (raw.columns[COLUMN.applied] = Uint8Array.from([...raw.columns[COLUMN.applied]!, 0])),
      ),
    ).toThrow('malformed at rows/columns/applied: bytes are left after the last row');
    expect(() =>
      readChanged(body, (raw) => (raw.columns[COLUMN.applied] = raw.columns[COLUMN.applied]!.slice(0, -1))),
    ).toThrow(`malformed at row ${body.rows.length - 1}: its bytes end before its last value`);
    expect(() =>
      readChanged(
        body,
        (raw) => (raw.columns[COLUMN.a] = Uint8Array.from([...raw.columns[COLUMN.a]!.slice(0, -1), 0x80])),
      ),
    ).toThrow(`malformed at row ${body.rows.length - 1}: its bytes end before its last value`);
  });

  it('whose stock row has no entries at all say they count for 0', () => {
    const extra = {
      ...body,
      stock: [...body.stock, { ...body.stock[0]!, key: 'hub1|itmz', item: 'itmz', onHand: 5 }],
    };
    expect(() => decodeBody(encodeBody(extra))).toThrow(
      'Stock of hub1|itmz is 5, but the entries it covers count for 0',
    );
  });
});
