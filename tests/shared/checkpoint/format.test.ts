import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { Projector } from '../../../shared/projection';
import {
  CHECKPOINT_LIMITS,
  CheckpointFormatError,
  decodeBody,
  decodeHead,
  decodeRows,
  encodeBody,
  type CheckpointBody,
} from '../../../shared/checkpoint/format';
import { checkpointBody } from '../../../shared/checkpoint/make';
import { decodeLedgerRows, ledgerRowPlaces } from '../../../shared/checkpoint/rows';
import { fcOptions } from '../arbitraries';
import { coversAt, cutsOf, historyArb } from './history';
import { readBytes } from './rawRows';

/**
 * A checkpoint arrives from a peer: whatever its bytes, reading them either gives a checkpoint whose
 * on-hand figures are what its rows count for, or throws a CheckpointFormatError that says where it is
 * wrong; never anything else. (Whether the maker and the devices signed it is verify.ts's part.)
 */
const NET = 'net0';

function bodyOf(history: readonly Entry[]): CheckpointBody {
  const cuts = cutsOf(history, [1, 1, 1, 1]);
  const p = new Projector();
  for (const e of history) p.apply(e);
  return checkpointBody({
    network: NET,
    by: 'deva',
    at: Date.UTC(2025, 0, 4),
    covers: coversAt(NET, history, cuts),
    stock: p.allStock(),
    usage: p.allUsage(),
    ledger: p.allLedger(),
    settings: [],
  });
}

const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;
const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Every path to a value inside a JSON value. */
function paths(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  return out;
}

function replaced(value: unknown, path: readonly (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  const copy = [...(value as unknown[])];
  copy[path[0] as number] = replaced(copy[path[0] as number], path.slice(1), by);
  return copy;
}

function readOrRefuse(head: Uint8Array, rows: Uint8Array): 'read' | 'refused' {
  return outcomeOf(() => decodeRows(decodeHead(head), rows));
}

function outcomeOf(read: () => unknown): 'read' | 'refused' {
  try {
    read();
    return 'read';
  } catch (error) {
    if (error instanceof CheckpointFormatError) return 'refused';
    throw error;
  }
}

/** `ledgerRowPlaces` of `bytes`: read (each place with its hub and item) or refused, as `outcomeOf` says. */
function placesOutcome(bytes: Uint8Array): 'read' | 'refused' {
  return outcomeOf(() => {
    for (const place of ledgerRowPlaces(bytes))
      if (typeof place.hub !== 'string' || typeof place.item !== 'string' || !Number.isFinite(place.at))
        throw new Error(`a place read without its hub, item or time: ${JSON.stringify(place)}`);
  });
}

/** The bytes with one byte changed, cut there, one added there, or one taken out there. */
function damaged(bytes: Uint8Array, how: 'change' | 'cut' | 'add' | 'drop', at: number, byte: number) {
  const i = at % (bytes.length + 1);
  switch (how) {
    case 'change': {
      const out = bytes.slice();
      out[i % bytes.length] = byte === out[i % bytes.length] ? byte ^ 0xff : byte;
      return out;
    }
    case 'cut':
      return bytes.slice(0, i);
    case 'add':
      return Uint8Array.from([...bytes.slice(0, i), byte, ...bytes.slice(i)]);
    case 'drop':
      return Uint8Array.from([...bytes.slice(0, i), ...bytes.slice(i + 1)]);
  }
}

describe('reading a checkpoint from a peer', () => {
  it('gives back exactly what was encoded', () => {
    fc.assert(
      fc.property(historyArb, (history) => {
        const body = bodyOf(history);
        const again = decodeBody(encodeBody(body));
        expect(encodeBody(again)).toEqual(encodeBody(body));
        expect(again.rows.length).toBe(history.length);
      }),
      fcOptions(0.3),
    );
  });

  it('reads or refuses (with a CheckpointFormatError, nothing else) any value put anywhere in the head', () => {
    fc.assert(
      fc.property(historyArb, fc.nat(), fc.jsonValue({ maxDepth: 2 }), (history, pick, value) => {
        const { head, rows } = encodeBody(bodyOf(history));
        const tree = json(head);
        const all = paths(tree);
        const path = all[pick % all.length]!;
        const changed = bytesOf(replaced(tree, path, value));
        // Read (a chain line, a time, a name: what only the signatures can vouch for, see verify.test.ts)
        // or refused with a CheckpointFormatError; anything else thrown fails here.
        const outcome = readOrRefuse(changed, rows);
        if (outcome === 'read') {
          const read = decodeHead(changed);
          const onHand = (h: typeof read) => h.stock.map((r) => [r.key, r.onHand, r.entryCount]);
          expect(onHand(read)).toEqual(onHand(decodeHead(head)));
        }
      }),
      fcOptions(),
    );
  });

  it('reads or refuses (with a CheckpointFormatError, nothing else) rows with any byte changed, cut, added or taken out', () => {
    const outcomes = { read: 0, refused: 0 };
    fc.assert(
      fc.property(
        historyArb,
        fc.constantFrom('change' as const, 'cut' as const, 'add' as const, 'drop' as const),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (history, how, at, byte) => {
          const body = bodyOf(history);
          const bytes = damaged(encodeBody(body).rows, how, at, byte);
          // The head names these bytes (as a maker's signature would): only their content is judged.
          outcomes[outcomeOf(() => readBytes(body, bytes))]++;
          // Read as a ledger block's rows, without a head (a damaged IndexedDB row), likewise, and their
          // hubs, items and times alone.
          outcomeOf(() => decodeLedgerRows(bytes));
          placesOutcome(bytes);
        },
      ),
      fcOptions(3),
    );
    expect(outcomes.refused).toBeGreaterThan(outcomes.read);
  });

  it('reads or refuses (with a CheckpointFormatError, nothing else) any bytes as rows', () => {
    fc.assert(
      fc.property(historyArb, fc.uint8Array({ maxLength: 600 }), fc.boolean(), (history, random, asRows) => {
        const body = bodyOf(history);
        // Half of them start as a rows part of the right format and count does, to reach what follows.
        const bytes = asRows ? Uint8Array.from([2, body.rows.length & 0x7f, ...random]) : random;
        outcomeOf(() => readBytes(body, bytes, body.rows.length));
        outcomeOf(() => decodeLedgerRows(bytes));
        placesOutcome(bytes);
      }),
      fcOptions(3),
    );
  });

  it('refuses rows that are not the ones the head names, or that contradict its figures', () => {
    fc.assert(
      fc.property(
        historyArb.filter((h) => h.length > 0),
        fc.nat(),
        (history, pick) => {
          const body = bodyOf(history);
          const { head } = encodeBody(body);
          const dropped = encodeBody({
            ...body,
            rows: body.rows.filter((_, i) => i !== pick % body.rows.length),
          });
          expect(readOrRefuse(head, dropped.rows)).toBe('refused');
          // A head signed over rows that disagree with its own stock is refused too.
          const row = body.rows[pick % body.rows.length]!;
          const off = encodeBody({
            ...body,
            rows: body.rows.map((r) => (r === row ? { ...r, applied: r.applied + 1 } : r)),
          });
          expect(readOrRefuse(off.head, off.rows)).toBe('refused');
        },
      ),
      fcOptions(0.5),
    );
  });

  it('says where it is wrong', () => {
    const history: Entry[] = [
      {
        kind: 'donation',
        hub: 'hub1',
        device: 'deva',
        seq: 1,
        item: 'itma',
        at: Date.UTC(2025, 0, 1),
        recordedAt: Date.UTC(2025, 0, 1),
        qty: 3,
        source: 'individual',
      },
    ];
    const body = bodyOf(history);
    const { head, rows } = encodeBody(body);
    expect(() => decodeHead(new Uint8Array([0xff, 0xfe]))).toThrow(/not readable/);
    const twice = encodeBody({ ...body, covers: [...body.covers, body.covers[0]!] });
    expect(() => decodeHead(twice.head)).toThrow(/covered twice/);
    const counted = encodeBody({ ...body, covers: body.covers.map((c) => ({ ...c, counted: 0 })) });
    expect(() => decodeRows(decodeHead(counted.head), counted.rows)).toThrow(
      /past what the checkpoint counts/,
    );
    const stock = encodeBody({ ...body, stock: body.stock.map((s) => ({ ...s, onHand: 4 })) });
    expect(() => decodeRows(decodeHead(stock.head), stock.rows)).toThrow(/Stock of hub1\|itma is 4/);
    expect(() => decodeRows(decodeHead(head), bytesOf([]))).toThrow(/not the rows the head names/);
    expect(() => decodeRows(decodeHead(head), rows)).not.toThrow();
    const tooMany = Array.from({ length: CHECKPOINT_LIMITS.devices + 1 }, () => 0);
    expect(() => decodeHead(bytesOf(replaced(json(head), [4], tooMany)))).toThrow(CheckpointFormatError);
  });
});
