// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { ledgerOf } from './ledgerTable';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { docHolding } from '../../shared/sync/skeleton';
import type { ItemForm } from '../../shared/catalog';
import { ledgersOf, readAllEntries } from '../../shared/doc';
import { entrySchema } from '../../shared/entries';
import type { LedgerWire } from '../../shared/doc';
import { encodeAppliedState, ingestUpdate } from '../../shared/sync/ingest';
import { openSyncFile, sealSyncFile } from '../../shared/sync/syncfile';
import { LarderDB } from '../../renderer/storage/db';
import { LarderStore, type StoreDeps } from '../../renderer/storage/store';
import { exportSyncFile, importSyncFile } from '../../renderer/sync/syncFiles';
import { messageForLog } from '../../shared/messages';

/**
 * Peer data is untrusted: random and mutated updates and sync files go into the ingest path, which must
 * never throw and must leave the doc and its projections exactly as they were, unless a mutated update
 * still decodes into a change (then the store must stay consistent: the old ledger intact, every ledger
 * row a valid entry, invalid entries set aside under Problems, the database reloadable).
 *
 * Seeded: FUZZ_SEED replays a run; FUZZ_CASES and FUZZ_STORE_CASES scale it. Failures name the seed,
 * the case and the mutation.
 */
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 20_250_602;
const CASES = process.env.FUZZ_CASES !== undefined ? Number(process.env.FUZZ_CASES) : 10_000;
const FILE_CASES = Math.round(CASES / 10);
const STORE_CASES = process.env.FUZZ_STORE_CASES !== undefined ? Number(process.env.FUZZ_STORE_CASES) : 300;

/** mulberry32. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  uint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return (r ^ (r >>> 14)) >>> 0;
  }
  int(min: number, max: number): number {
    return min + (this.uint32() % (max - min + 1));
  }
  bool(p = 0.5): boolean {
    return this.uint32() / 2 ** 32 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.uint32() & 0xff);
  }
}

/** One mutation of a real byte string (or pure random bytes), and what it was, for failure messages. */
function mutateOnce(rng: Rng, bytes: Uint8Array, others: readonly Uint8Array[]): [Uint8Array, string] {
  const b = new Uint8Array(bytes);
  const at = () => rng.int(0, Math.max(0, b.length - 1));
  switch (rng.int(0, 8)) {
    case 0: {
      const n = rng.int(1, 8);
      const where: number[] = [];
      for (let i = 0; i < n && b.length > 0; i++) {
        const p = at();
        b[p]! ^= 1 << rng.int(0, 7);
        where.push(p);
      }
      return [b, `flip bits at ${where.join(',')}`];
    }
    case 1: {
      const p = at();
      b[p] = rng.pick([0, 1, 0x7f, 0x80, 0xff, rng.int(0, 255)]);
      return [b, `set byte ${p} to ${b[p]}`];
    }
    case 2: {
      const n = rng.int(0, Math.max(0, b.length - 1));
      return [b.slice(0, n), `truncate to ${n}`];
    }
    case 3: {
      const p = rng.int(0, b.length);
      const junk = rng.bytes(rng.int(1, 16));
      return [
        new Uint8Array([...b.subarray(0, p), ...junk, ...b.subarray(p)]),
        `insert ${junk.length} at ${p}`,
      ];
    }
    case 4: {
      const p = at();
      const n = rng.int(1, 16);
      return [new Uint8Array([...b.subarray(0, p), ...b.subarray(p + n)]), `delete ${n} at ${p}`];
    }
    case 5: {
      const other = rng.pick(others);
      const p = rng.int(0, b.length);
      const q = rng.int(0, other.length);
      return [
        new Uint8Array([...b.subarray(0, p), ...other.subarray(q)]),
        `splice at ${p} with another from ${q}`,
      ];
    }
    case 6: {
      const p = at();
      const n = rng.int(1, 24);
      const chunk = b.subarray(p, p + n);
      return [
        new Uint8Array([...b.subarray(0, p + n), ...chunk, ...b.subarray(p + n)]),
        `duplicate ${n} at ${p}`,
      ];
    }
    case 7: {
      // Varints: bump a byte to a continuation byte, which shifts everything after it.
      const p = at();
      b[p]! |= 0x80;
      return [b, `continuation bit at ${p}`];
    }
    default: {
      const n = rng.int(0, 300);
      return [rng.bytes(n), `random ${n} bytes`];
    }
  }
}

function mutate(rng: Rng, sources: readonly Uint8Array[], maxRounds = 3): [Uint8Array, string] {
  let bytes = rng.pick(sources);
  const hows: string[] = [`source #${sources.indexOf(bytes)}`];
  const rounds = rng.int(1, maxRounds);
  for (let i = 0; i < rounds; i++) {
    const [next, how] = mutateOnce(rng, bytes, sources);
    bytes = next;
    hows.push(how);
  }
  return [bytes, hows.join(' / ')];
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const randomId = (rng: Rng) =>
  Array.from({ length: rng.int(4, 10) }, () => ALPHABET[rng.int(0, 35)]).join('');

/** Random JSON-ish values, small (wire.test.ts and wire.property.test.ts try hostile objects such as `{toString: 1}`). */
function junk(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 4 : 7)) {
    case 0:
      return rng.int(-5, 2 ** 31);
    case 1:
      return rng.pick([0, -1, 1.5, 1e300, -0, 2 ** 53]);
    case 2:
      return randomId(rng);
    case 3:
      return rng.pick([null, true, false, '', 'donation']);
    case 4:
      return rng.int(0, 10);
    case 5:
    case 6:
      return Array.from({ length: rng.int(0, 12) }, () => junk(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 4) }, () => [
          randomId(rng).slice(0, rng.int(1, 3)),
          junk(rng, depth + 1),
        ]),
      );
  }
}

/** A real entry tuple with one field replaced, or one dropped or added. */
function mangledEntry(rng: Rng, wire: readonly unknown[]): unknown[] {
  const w = [...wire];
  const r = rng.int(0, 2);
  if (r === 0) w[rng.int(0, w.length - 1)] = junk(rng);
  else if (r === 1) w.splice(rng.int(0, w.length - 1), 1);
  else w.push(junk(rng));
  return w;
}

/**
 * A well-formed update from a rogue replica of `doc` (a key holder running a faulty or hostile client):
 * junk and mangled entries in existing and new ledgers, non-list ledgers, nested types, forged entries,
 * junk settings. It decodes and passes ingest (it deletes nothing), so it exercises projection and Problems.
 */
function rogueUpdate(rng: Rng, doc: Y.Doc): [Uint8Array, string] {
  const rogue = new Y.Doc();
  Y.applyUpdate(rogue, encodeAppliedState(doc));
  rogue.clientID = rng.uint32();
  const devices = [...ledgersOf(rogue).keys()];
  const anyWire = () => {
    const array = ledgersOf(rogue).get(rng.pick(devices));
    const wire: unknown =
      array instanceof Y.Array && array.length > 0 ? array.get(rng.int(0, array.length - 1)) : [];
    // Only plain tuples: a nested Y type from an earlier op cannot be inserted a second time.
    return Array.isArray(wire) ? (wire as unknown[]) : [];
  };
  const did: string[] = [];
  for (let n = rng.int(1, 4); n > 0; n--) {
    const op = rng.int(0, 7);
    const device = rng.pick(devices);
    const existing = ledgersOf(rogue).get(device);
    switch (op) {
      case 0:
        if (existing instanceof Y.Array) existing.push([junk(rng) as never]);
        did.push(`junk entry in ${device}`);
        break;
      case 1:
        if (existing instanceof Y.Array) existing.push([mangledEntry(rng, anyWire()) as never]);
        did.push(`mangled entry in ${device}`);
        break;
      case 2: {
        const array = new Y.Array<unknown>();
        const id = randomId(rng);
        ledgersOf(rogue).set(id, array as never);
        array.push(Array.from({ length: rng.int(0, 4) }, () => (rng.bool() ? anyWire() : junk(rng))));
        did.push(`new ledger ${id}`);
        break;
      }
      case 3: {
        const id = randomId(rng);
        ledgersOf(rogue).set(id, junk(rng) as never);
        did.push(`non-list ledger ${id}`);
        break;
      }
      case 4:
        if (existing instanceof Y.Array) existing.insert(rng.int(0, existing.length), [new Y.Map() as never]);
        did.push(`nested map in ${device}`);
        break;
      case 5: {
        const map = rng.pick(['items', 'hubs', 'devices', 'levels']);
        const keys = [...rogue.getMap(map).keys()];
        const key = keys.length > 0 && rng.bool() ? rng.pick(keys) : randomId(rng);
        rogue.getMap(map).set(key, junk(rng));
        did.push(`junk ${map}/${key}`);
        break;
      }
      case 6: {
        // An entry that claims another device, or this one's next sequence numbers.
        if (existing instanceof Y.Array) existing.push([anyWire()]);
        did.push(`copied entry in ${device}`);
        break;
      }
      default: {
        const levels = rogue.getMap('levels');
        levels.set(`${randomId(rng)}|${randomId(rng)}`, { min: rng.int(-2, 5), target: rng.int(-2, 5) });
        did.push('odd levels');
      }
    }
  }
  return [encodeAppliedState(rogue, Y.encodeStateVector(doc)), `rogue: ${did.join(', ')}`];
}

/** JSON that also takes the BigInts a Yjs update may carry. */
const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));

const START = Date.UTC(2025, 5, 2, 9, 0, 0);
const clock = START;
function prngBytes(seed: number) {
  const rng = new Rng(seed);
  return (n: number) => rng.bytes(n);
}
let dbCount = 0;
const opened: LarderStore[] = [];
async function device(seed: number, name = `larder-fuzz-${process.pid}-${++dbCount}`): Promise<LarderStore> {
  const deps: StoreDeps = { now: () => clock, randomBytes: prngBytes(SEED ^ seed) };
  const store = await LarderStore.open(new LarderDB(name), deps);
  opened.push(store);
  await store.ready;
  return store;
}
afterAll(() => {
  for (const s of opened.splice(0)) s.close();
});

const itemForm = (name: string): ItemForm => ({
  name,
  category: 'Food',
  unit: 'bag',
  packSize: '',
  barcodes: '',
});

/** Two devices of one network: A with a varied ledger, B joined with A's file and recording at its own hub. */
async function network() {
  const a = await device(1);
  a.persistence.doc.clientID = 101;
  await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk laptop' });
  const rice = await a.saveItem(itemForm('Rice 2 lb'));
  const beans = await a.saveItem(itemForm('Black beans'));
  await a.recordDonation({
    source: 'individual',
    lines: [
      { item: rice.id, quantity: '20' },
      { item: beans.id, quantity: '6' },
    ],
  });
  const [pickup] = await a.recordPickup({ households: '2', lines: [{ item: rice.id, quantity: '5' }] });
  await a.recordCount({ lines: [{ item: beans.id, counted: '4' }] });
  await a.recordDiscard({ reason: 'spoiled', lines: [{ item: beans.id, quantity: '1' }] });
  await a.undo(`${pickup!.device}.${pickup!.seq}`);
  await a.setLevels(rice.id, { min: '5', target: '30' });

  const b = await device(2);
  b.persistence.doc.clientID = 202;
  await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Back room tablet' });
  const full = await exportSyncFile(a, { now: clock, randomBytes: prngBytes(3) });
  const imported = await importSyncFile(b, full.bytes);
  if (!imported.ok) throw new Error(messageForLog(imported.message));
  const incremental: Uint8Array[] = [];
  b.persistence.doc.on('update', (u: Uint8Array, origin: unknown) => {
    if (origin !== 'load') incremental.push(u);
  });
  await b.chooseHub({ newHubName: 'Westside Church' });
  await b.recordDonation({ source: 'business', lines: [{ item: rice.id, quantity: '40' }] });
  await b.recordPickup({ households: '1', lines: [{ item: rice.id, quantity: '3' }] });
  await b.saveItem(itemForm('Brown rice 2 lb'), rice.id); // overwrites an item: a delete set
  await b.setLevels(beans.id, { min: '2', target: '10' });
  await b.setLevels(beans.id, { min: '3', target: '12' });
  await b.saveItem(itemForm('Peanut butter'));
  const docA = a.persistence.doc;
  const docB = b.persistence.doc;

  // Hostile but well-formed: a copy of A's doc that deletes one of A's entries, and one that replaces A's ledger.
  const hostile: Uint8Array[] = [];
  for (const harm of [
    (d: Y.Doc) => ledgersOf(d).get(a.self!.deviceId)!.delete(1, 1),
    (d: Y.Doc) => ledgersOf(d).set(a.self!.deviceId, new Y.Array<LedgerWire>()),
  ]) {
    const copy = new Y.Doc();
    Y.applyUpdate(copy, encodeAppliedState(docA));
    const emitted: Uint8Array[] = [];
    copy.on('update', (u: Uint8Array) => emitted.push(u));
    harm(copy);
    hostile.push(...emitted, encodeAppliedState(copy, Y.encodeStateVector(docA)));
  }
  const rng = new Rng(SEED ^ 0x706e);
  const rogue = Array.from({ length: 40 }, () => rogueUpdate(rng, docA)[0]);
  const real = [
    encodeAppliedState(docB, Y.encodeStateVector(docA)),
    // (B started from A's checkpoint and its skeleton: its whole state is its history's, on its disk.)
    encodeAppliedState(await docHolding(docB)),
    ...incremental,
    ...hostile,
    Y.encodeStateAsUpdate(new Y.Doc()),
    ...rogue,
  ];
  return { a, b, real, hostile, fileKey: (await a.secrets()).fileKey };
}

/** Every base entry still in the same device's ledger, in order (other entries may sit between them). */
function keepsLedger(doc: Y.Doc, base: Map<string, string[]>): boolean {
  for (const [device, wires] of base) {
    const array = ledgersOf(doc).get(device);
    if (!(array instanceof Y.Array)) return false;
    const now = array.toArray().map((w) => json(w));
    let i = 0;
    for (const w of now) if (i < wires.length && w === wires[i]) i++;
    if (i !== wires.length) return false;
  }
  return true;
}

function ledgerWires(doc: Y.Doc): Map<string, string[]> {
  const out = new Map<string, string[]>();
  ledgersOf(doc).forEach((array, device) =>
    out.set(
      device,
      array.toArray().map((w) => json(w)),
    ),
  );
  return out;
}

const sameBytes = (x: Uint8Array, y: Uint8Array) => x.length === y.length && x.every((v, i) => v === y[i]);

/**
 * The doc's content, independent of how Yjs happens to hold it: reading an update may split structs or
 * define an empty root type without changing any content. Re-encoding through a fresh doc undoes splits.
 */
function content(doc: Y.Doc) {
  const normal = new Y.Doc();
  Y.applyUpdate(normal, encodeAppliedState(doc));
  const maps = ['ledgers', 'items', 'hubs', 'devices', 'levels', 'network'].map((k) =>
    normal.getMap(k).toJSON(),
  );
  return { sv: Y.encodeStateVector(doc), state: Y.encodeStateAsUpdate(normal), json: json(maps) };
}
const sameContent = (x: ReturnType<typeof content>, y: ReturnType<typeof content>) =>
  sameBytes(x.sv, y.sv) && sameBytes(x.state, y.state) && x.json === y.json;

let net: Awaited<ReturnType<typeof network>>;
beforeAll(async () => {
  net = await network();
}, 60_000);

describe(`fuzzing the ingest path (seed ${SEED})`, () => {
  it(`${CASES.toLocaleString('en')} random and mutated updates into ingestUpdate on an in-memory doc`, () => {
    const rng = new Rng(SEED);
    const baseState = encodeAppliedState(net.a.persistence.doc);
    const clientID = net.a.persistence.doc.clientID;
    const fresh = () => {
      const d = new Y.Doc({ gc: true });
      Y.applyUpdate(d, baseState);
      // The device that recorded the base entries, in the same session (set after loading them, or Yjs
      // would take the id for a collision and pick a random one).
      d.clientID = clientID;
      return d;
    };
    let doc = fresh();
    const baseLedger = ledgerWires(doc);
    const baseContent = content(doc);
    const tally = { refused: 0, unchanged: 0, pending: 0, changed: 0 };
    for (let i = 0; i < CASES; i++) {
      const [bytes, how] = i < net.real.length ? [net.real[i]!, `real update #${i}`] : mutate(rng, net.real);
      const where = `seed ${SEED}, case ${i}: ${how}`;
      let r;
      try {
        r = ingestUpdate(doc, bytes, 'peer');
      } catch (error) {
        throw new Error(`${where}: ingestUpdate threw ${String(error)}`);
      }
      if (r.ok && r.changed) {
        tally.changed++;
        expect(keepsLedger(doc, baseLedger), `${where}: the local ledger lost entries`).toBe(true);
        expect(() => readAllEntries(doc), where).not.toThrow();
        doc = fresh();
        continue;
      }
      if (!r.ok) tally.refused++;
      else if (r.pending) tally.pending++;
      else tally.unchanged++;
      if (!r.ok) {
        // Refused: Yjs never saw it, so not even the way the doc is held may differ.
        expect(
          sameBytes(encodeAppliedState(doc), baseState),
          `${where}: refused (${r.message}) but the doc changed`,
        ).toBe(true);
        expect(doc.store.pendingStructs === null && doc.store.pendingDs === null, where).toBe(true);
      } else {
        expect(sameContent(content(doc), baseContent), `${where}: unchanged but the doc changed`).toBe(true);
        doc = fresh(); // start the next case without what Yjs holds back or how it split structs
      }
    }
    console.log(`ingestUpdate fuzz (seed ${SEED}):`, tally);
    // The mutations must reach past the decoder sometimes, or this tests little.
    expect(tally.changed, `seed ${SEED}`).toBeGreaterThan(CASES / 100);
    expect(tally.refused, `seed ${SEED}`).toBeGreaterThan(CASES / 2);
  });

  it(`${FILE_CASES.toLocaleString('en')} mutated sync files into openSyncFile and ingestUpdate`, async () => {
    const rng = new Rng(SEED ^ 0x5eed);
    const networkId = net.a.self!.networkId;
    const file = (await exportSyncFile(net.b, { now: clock, randomBytes: prngBytes(4) })).bytes;
    const partial = (
      await exportSyncFile(net.b, { forDevice: net.a.self!.deviceId, now: clock, randomBytes: prngBytes(5) })
    ).bytes;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, encodeAppliedState(net.a.persistence.doc));
    const before = content(doc);
    let opened = 0;
    for (let i = 0; i < FILE_CASES; i++) {
      const [bytes, how] = mutate(rng, [file, partial]);
      const where = `seed ${SEED ^ 0x5eed}, file case ${i}: ${how}`;
      const r = await openSyncFile(bytes, { networkId, fileKey: net.fileKey });
      if (!r.ok) continue;
      // Only a mutation that leaves the file byte-identical in what GCM covers can open.
      opened++;
      expect(ingestUpdate(doc, r.updates[0]!, 'file').ok, where).toBe(true);
    }
    expect(opened, `seed ${SEED}`).toBeLessThan(FILE_CASES / 20);
    if (opened === 0) expect(sameContent(content(doc), before), `seed ${SEED}`).toBe(true);
  });

  it(`${STORE_CASES} mutated updates and sync files through the whole store (Dexie)`, async () => {
    const rng = new Rng(SEED ^ 0x570e);
    const a = net.a;
    const doc = a.persistence.doc;
    const baseIds = (await ledgerOf(a.db).toArray()).map((r) => r.id).sort();
    const baseLedger = ledgerWires(doc);
    const file = (await exportSyncFile(net.b, { now: clock, randomBytes: prngBytes(6) })).bytes;
    let events = 0;
    doc.on('update', () => events++);
    const tables = async () => {
      const db = a.db;
      return json({
        stock: await db.stock.toArray(),
        ledger: await ledgerOf(db).toArray(),
        items: await db.items.toArray(),
        hubs: await db.hubs.toArray(),
        devices: await db.devices.toArray(),
        levels: await db.levels.toArray(),
        problems: await db.problems.toArray(),
        updates: await db.updates.count(),
      });
    };
    let baseline = await tables();
    const tally = { refused: 0, unchanged: 0, changed: 0 };
    for (let i = 0; i < STORE_CASES; i++) {
      const kind = rng.pick(['update', 'update', 'rogue', 'sealed garbage', 'mutated file'] as const);
      const [mutated, how] =
        kind === 'mutated file'
          ? mutate(rng, [file])
          : kind === 'rogue'
            ? rogueUpdate(rng, doc)
            : mutate(rng, net.real, 1);
      const where = `seed ${SEED ^ 0x570e}, store case ${i} (${kind}): ${how}`;
      const eventsBefore = events;
      let ok: boolean;
      try {
        if (kind === 'update' || kind === 'rogue') ok = (await a.applyRemoteUpdate(mutated, 'peer')).ok;
        else {
          const bytes =
            kind === 'mutated file'
              ? mutated
              : await sealSyncFile(
                  {
                    network: a.self!.networkId,
                    device: 'fuzzer12',
                    createdAt: clock,
                    stateVector: new Uint8Array([0]),
                    since: false,
                    forDevice: null,
                    update: mutated,
                  },
                  net.fileKey,
                  prngBytes(i),
                );
          ok = (await importSyncFile(a, bytes)).ok;
        }
      } catch (error) {
        throw new Error(`${where}: threw ${String(error)}`);
      }
      const now = await tables();
      if (events === eventsBefore) {
        if (ok) tally.unchanged++;
        else tally.refused++;
        expect(now, `${where}: nothing applied, yet the tables changed`).toBe(baseline);
        continue;
      }
      tally.changed++;
      expect(ok, `${where}: the doc changed but the result says it failed`).toBe(true);
      expect(keepsLedger(doc, baseLedger), `${where}: the local ledger lost entries`).toBe(true);
      const rows = await ledgerOf(a.db).toArray();
      for (const { id: _id, applied: _applied, reversedBy: _reversedBy, ...entry } of rows)
        expect(entrySchema.safeParse(entry).success, `${where}: ledger row ${json(entry)}`).toBe(true);
      const ids = new Set(rows.map((r) => r.id));
      expect(
        baseIds.every((id) => ids.has(id)),
        `${where}: a ledger row disappeared`,
      ).toBe(true);
      // Every ledger holding invalid entries shows under Problems. (Per device, not per entry: a problem's
      // key is the entry's index, and an entry a rogue peer inserts mid-ledger shifts the indices after it,
      // so a later problem can take an earlier one's key. Legitimate ledgers only grow at the end.)
      const problems = await a.db.problems.toArray();
      for (const p of readAllEntries(doc).problems) {
        const prefix = p.where.split('/').slice(0, 2).join('/');
        expect(
          problems.some((row) => row.where === prefix || row.where.startsWith(`${prefix}/`)),
          `${where}: invalid entry at ${p.where} (${p.reason}): nothing under Problems for ${prefix}`,
        ).toBe(true);
      }
      baseline = now;
    }
    console.log(`store fuzz (seed ${SEED}):`, tally, `problems: ${await a.db.problems.count()}`);
    // Enough mutations got through to exercise the accepted path (a signed network refuses more at the
    // door: bare deletes and unsigned values of settings, heads its devices did not sign).
    expect(tally.changed, `seed ${SEED}`).toBeGreaterThan(STORE_CASES / 20);
    expect(await a.db.problems.count(), `seed ${SEED}`).toBeGreaterThan(0);

    // Whatever was accepted and saved loads again after a restart.
    const sv = Y.encodeStateVector(doc);
    const name = a.db.name;
    a.close();
    const again = await device(1, name);
    expect(Y.encodeStateVector(again.persistence.doc), `seed ${SEED}: reload`).toEqual(sv);
    expect(await ledgerOf(again.db).count()).toBeGreaterThanOrEqual(baseIds.length);
  });

  it('the hostile but well-formed updates are refused through the store too', async () => {
    const b = net.b;
    for (const update of net.hostile) {
      const r = await b.applyRemoteUpdate(update, 'peer');
      expect(r.ok).toBe(false);
    }
  });
});
