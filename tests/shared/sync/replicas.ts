import fc from 'fast-check';
import * as Y from 'yjs';
import { ledgersOf, type LedgerWire } from '../../../shared/doc';

/**
 * Three devices' docs for the skeleton's and the checkpoint cut's property tests: random pushes to their
 * ledgers, settings set and deleted, syncs, runs of the app (a new Yjs client) and lost storage.
 */

export const DEVICES = ['d0', 'd1', 'd2'] as const;

export type Op =
  | { kind: 'push'; by: number; values: number }
  | { kind: 'set'; by: number; key: string; value: number }
  | { kind: 'delete'; by: number; key: string }
  | { kind: 'sync'; from: number; to: number }
  // The device's next run of the app: a new Yjs client.
  | { kind: 'session'; by: number }
  // Device 1 or 2 loses what it stored after a point (damaged storage), and writes on: its next values follow
  // its last as it has it, in the middle of its ledger as its peers have it (shared/trust/chain.ts restarts).
  | { kind: 'lose'; by: number; keep: number };

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      by: fc.nat(2),
      values: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      by: fc.nat(2),
      key: fc.constantFrom('a', 'b', 'c'),
      value: fc.nat(99),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      by: fc.nat(2),
      key: fc.constantFrom('a', 'b', 'c'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('session' as const), by: fc.nat(2) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('lose' as const),
      by: fc.integer({ min: 1, max: 2 }),
      keep: fc.nat(20),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: fc.nat(2), to: fc.nat(2) }) },
);

let counter = 0;
export function push(doc: Y.Doc, device: string, n: number) {
  doc.transact(() => {
    const ledgers = ledgersOf(doc);
    let array = ledgers.get(device);
    if (!array) {
      array = new Y.Array<LedgerWire>();
      ledgers.set(device, array);
    }
    array.push(Array.from({ length: n }, () => `${device}:${counter++}`));
  });
}

let clients = 0;
/**
 * A new Yjs client id, unique and in no order (as Yjs draws them at random): Yjs orders values after the same
 * neighbour by client id, so ids that only grow would hide a wrong order.
 */
export const fresh = () => ((++clients * 2_654_435_761) % 2 ** 31) + 1;

/** The three devices' docs, each with the log of its updates: what its disk held, for `lose`. */
export class Replicas {
  readonly docs: Y.Doc[];
  private logs: Uint8Array[][] = [];
  /** From which length of its log each has its own ledger's array (null: not yet). */
  private own: (number | null)[] = [];

  constructor() {
    this.docs = DEVICES.map((_, i) => {
      const doc = new Y.Doc();
      doc.clientID = fresh();
      return this.watch(i, doc, [], null);
    });
  }

  private watch(i: number, doc: Y.Doc, log: Uint8Array[], own: number | null): Y.Doc {
    this.logs[i] = log;
    this.own[i] = own;
    doc.on('update', (update: Uint8Array) => {
      log.push(update);
      if (this.own[i] === null && ledgersOf(doc).has(DEVICES[i]!)) this.own[i] = log.length;
    });
    return doc;
  }

  /** Whether a device lost values of its own ledger (`lose`). */
  lost = false;

  /** Device `i` keeps a prefix of its log that holds its ledger's array (else it loses nothing). */
  lose(i: number, keep: number): void {
    const own = this.own[i];
    if (own == null) return;
    const log = this.logs[i]!.slice(0, own + (keep % (this.logs[i]!.length - own + 1)));
    const doc = new Y.Doc();
    doc.clientID = fresh();
    for (const update of log) Y.applyUpdate(doc, update);
    if (ledgerOf(doc, DEVICES[i]!).length < ledgerOf(this.docs[i]!, DEVICES[i]!).length) this.lost = true;
    this.docs[i] = this.watch(i, doc, log, own);
  }
}

/**
 * `answers`: the doc that answers for a replica (a skeleton never does: its history, from disk, answers);
 * `take`: how a replica takes a peer's answer.
 */
export function run(
  replicas: Replicas,
  op: Op,
  deviceOf: (doc: Y.Doc) => string,
  answers = (doc: Y.Doc) => doc,
  take = (doc: Y.Doc, update: Uint8Array) => Y.applyUpdate(doc, update),
) {
  const docs = replicas.docs;
  switch (op.kind) {
    case 'push':
      return push(docs[op.by]!, deviceOf(docs[op.by]!), op.values);
    case 'set':
      return docs[op.by]!.getMap('items').set(op.key, op.value);
    case 'delete':
      return docs[op.by]!.getMap('items').delete(op.key);
    case 'session':
      docs[op.by]!.clientID = fresh();
      return;
    case 'lose': {
      // And writes on, from what it kept, and syncs with device 0.
      replicas.lose(op.by, op.keep);
      push(docs[op.by]!, deviceOf(docs[op.by]!), 1);
      return run(replicas, { kind: 'sync', from: op.by, to: 0 }, deviceOf, answers, take);
    }
    case 'sync': {
      const from = answers(docs[op.from]!);
      const to = docs[op.to]!;
      if (from !== to) take(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)));
    }
  }
}

export const settingsOf = (doc: Y.Doc) => doc.getMap('items').toJSON();
export const ledgerOf = (doc: Y.Doc, device: string) => ledgersOf(doc).get(device)?.toArray() ?? [];

/** The values each device's array got, in the order its events brought them. */
export function insertsOf(doc: Y.Doc): Map<string, unknown[]> {
  const got = new Map<string, unknown[]>();
  ledgersOf(doc).observeDeep((events) => {
    for (const event of events) {
      if (event.path.length === 0) {
        event.changes.keys.forEach((change, device) => {
          if (change.action === 'add')
            got.set(device, [...(got.get(device) ?? []), ...ledgerOf(doc, device)]);
        });
      } else if (event.target instanceof Y.Array) {
        const device = String(event.path[0]);
        if (events.some((e) => e.path.length === 0 && e.changes.keys.get(device)?.action === 'add')) continue;
        for (const op of event.changes.delta)
          if (Array.isArray(op.insert)) got.set(device, [...(got.get(device) ?? []), ...op.insert]);
      }
    }
  });
  return got;
}
