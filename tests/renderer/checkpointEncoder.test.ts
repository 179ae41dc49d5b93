// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeStoreCheckpoint } from '../../renderer/storage/checkpoint';
import {
  checkpointEncoder,
  encodeHere,
  type CheckpointEncoder,
} from '../../renderer/storage/checkpointEncoder';
import { answerRequest, type CheckpointRequest } from '../../renderer/storage/checkpointTables';
import { LarderDB } from '../../renderer/storage/db';
import { CheckpointError } from '../../shared/checkpoint/make';
import { decodeHead } from '../../shared/checkpoint/format';
import { headsOf } from '../../shared/doc';
import { testStores } from './stores';
import { fakeWorkers, type FakeBehaviour } from './fakeWorker';

/**
 * A checkpoint's tables read and encoded off the page (checkpointEncoder.ts, checkpoint.worker.ts): with a
 * stand-in for the browser's Worker that does the worker's work (`answerRequest`) on the database it is
 * named, in this thread; and `makeStoreCheckpoint`'s answers to what an encoder replies. The real worker
 * runs in Chromium in the join-by-file e2e test and the join bench.
 */
const { clock, twoHubsWithHistory } = testStores('cpencoder', 61);

const workers = fakeWorkers((request: CheckpointRequest) =>
  answerRequest(request, (name) => new LarderDB(name)),
);
const { started } = workers;
type Behaviour = FakeBehaviour;

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  workers.reset();
});

describe('a checkpoint made in a worker', () => {
  it('is the checkpoint made on the page, the worker started for it and ended after it', async () => {
    const { a } = await twoHubsWithHistory();
    const now = clock.now();
    const onPage = await makeStoreCheckpoint(a, now, encodeHere(a.db));
    vi.stubGlobal('Worker', workers.Worker);
    const inWorker = await makeStoreCheckpoint(a, now, checkpointEncoder(a.db));
    expect(started).toHaveLength(1);
    expect(started[0]!.options).toEqual({ type: 'module' });
    expect(started[0]!.terminated).toBe(true);
    // Its bytes came back transferred, not copied.
    expect(started[0]!.transferred).toContain(inWorker.rows.buffer);
    expect(inWorker.head).toEqual(onPage.head);
    expect(inWorker.rows).toEqual(onPage.rows);
    expect(inWorker.digest).toBe(onPage.digest);
    // What it spares a receiver: every entry its covers reach (the two hubs' entries).
    expect(inWorker.covered).toBe(decodeHead(inWorker.head).covers.reduce((n, c) => n + c.seq, 0));
    expect(inWorker.covered).toBe(onPage.covered);
    expect(inWorker.covered).toBeGreaterThan(2);
    expect(inWorker.rows.byteLength).toBeGreaterThan(0);
  });

  it.each<Behaviour>(['crash', 'error'])(
    'is made on the page when the worker fails (%s), and says so',
    async (behaviour) => {
      const { a } = await twoHubsWithHistory();
      const now = clock.now();
      const onPage = await makeStoreCheckpoint(a, now, encodeHere(a.db));
      vi.stubGlobal('Worker', workers.Worker);
      workers.state.behaviour = behaviour;
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const made = await makeStoreCheckpoint(a, now, checkpointEncoder(a.db));
      expect(made.digest).toBe(onPage.digest);
      expect(started[0]!.terminated).toBe(true);
      expect(warn).toHaveBeenCalledWith(
        'Larder could not make the checkpoint in a worker; doing it on the page',
        expect.any(Error),
      );
    },
  );

  it('is made on the page where there is no Worker', async () => {
    const { a } = await twoHubsWithHistory();
    expect(typeof Worker).toBe('undefined');
    const made = await makeStoreCheckpoint(a, clock.now(), checkpointEncoder(a.db));
    expect(made.rows.byteLength).toBeGreaterThan(0);
  });
});

describe('the tables’ encoder', () => {
  it('waits for devices whose counted entries are not under a head they signed', async () => {
    const { a } = await twoHubsWithHistory();
    let request: CheckpointRequest | null = null;
    await makeStoreCheckpoint(a, clock.now(), async (r) => {
      request = r;
      return encodeHere(a.db)(r);
    });
    // Without the heads the doc holds, neither hub's device can be proven where the gate has it.
    expect(await encodeHere(a.db)({ ...request!, heads: new Map() })).toEqual({
      kind: 'waiting',
      devices: 2,
    });
  });
});

describe('what makeStoreCheckpoint makes of its encoder’s replies', () => {
  it('asks again while the figures are still being added, then gives up saying so', async () => {
    const { a } = await twoHubsWithHistory();
    const asked: CheckpointRequest[] = [];
    const incomplete: CheckpointEncoder = async (request) => {
      asked.push(request);
      return { kind: 'incomplete' };
    };
    await expect(makeStoreCheckpoint(a, clock.now(), incomplete)).rejects.toThrow(
      new CheckpointError('Entries are still being added to the figures; make the checkpoint once they are'),
    );
    expect(asked).toHaveLength(4);
    // What the page reads for it: the network, this device, the doc's heads, members and settings.
    expect(asked[0]).toMatchObject({ db: a.db.name, network: a.self!.networkId, by: a.self!.deviceId });
    expect([...asked[0]!.heads.keys()].sort()).toEqual([...headsOf(a.persistence.doc).keys()].sort());
    expect(asked[0]!.members.get(a.self!.deviceId)?.role).toBe('admin');
    expect(asked[0]!.settings.length).toBeGreaterThan(0);
  });

  it('gives up on devices not under a signed position, unless a head came meanwhile', async () => {
    const { a } = await twoHubsWithHistory();
    const waiting: CheckpointEncoder = async () => ({ kind: 'waiting', devices: 2 });
    await expect(makeStoreCheckpoint(a, clock.now(), waiting)).rejects.toThrow(
      new CheckpointError('Waiting for 2 device(s) whose entries are not all under a signed position yet'),
    );
    // A head that changed while the tables were read: asked again, with it.
    const encode = encodeHere(a.db);
    let calls = 0;
    const headCame: CheckpointEncoder = async (request) => {
      if (++calls > 1) return encode(request);
      // A head the doc took while the tables were read (well shaped; whose it is does not matter here).
      headsOf(a.persistence.doc).set('a-device-just-heard-of', [1, 'hash', 'sig']);
      return { kind: 'waiting', devices: 1 };
    };
    const made = await makeStoreCheckpoint(a, clock.now(), headCame);
    expect(calls).toBe(2);
    expect(made.rows.byteLength).toBeGreaterThan(0);
  });

  it('refuses with what the encoder refused', async () => {
    const { a } = await twoHubsWithHistory();
    const refused: CheckpointEncoder = async () => ({
      kind: 'refused',
      message: 'Entry x counts but is beyond',
    });
    await expect(makeStoreCheckpoint(a, clock.now(), refused)).rejects.toThrow(
      new CheckpointError('Entry x counts but is beyond'),
    );
  });
});
