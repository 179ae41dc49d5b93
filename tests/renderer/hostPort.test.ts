// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { BelowZeroWarning } from '../../shared/belowZero';
import { ValidationError } from '../../shared/errors';
import { msg } from '../../shared/messages';
import { EarlierSaveFailed } from '../../renderer/storage/saveErrors';
import {
  COMMANDS,
  PortHost,
  receivedError,
  sendError,
  serveStore,
  stateOf,
  type FromHost,
  type Port,
} from '../../renderer/storage/hostPort';
import type { Commit } from '../../renderer/storage/persistence';
import { LarderStore } from '../../renderer/storage/store';
import { testStores } from './stores';

const { device } = testStores('host-port', 0x4057);

const ports: MessagePort[] = [];
afterEach(() => {
  for (const port of ports.splice(0)) port.close();
});

/** A store served at one end of a channel, and the page's host at the other (as a Worker and its page). */
async function served() {
  const store = await device();
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const stop = serveStore(store, port1 as Port);
  const host = await PortHost.connect(store.db, port2 as Port);
  return { store, host, stop };
}

const rice = { name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' };

describe('the store served over a port', () => {
  it('answers every command of the page’s interface, and none else', async () => {
    for (const command of COMMANDS)
      if (command !== 'ready')
        expect(typeof (LarderStore.prototype as unknown as Record<string, unknown>)[command]).toBe(
          'function',
        );
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    serveStore(await device(), port1 as Port);
    const answers: FromHost[] = [];
    port2.addEventListener('message', (e) => answers.push(e.data as FromHost));
    port2.start();
    port2.postMessage({ call: 1, command: 'close', args: [] });
    await expect
      .poll(() => answers.find((a) => 'answer' in a))
      .toMatchObject({
        answer: 1,
        error: { kind: 'other', name: 'TypeError', message: 'No such command: close' },
      });
  });

  it('answers a page that connects after the store began to serve (a Worker started first) with its state', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    serveStore(store, port1 as Port);
    // The state the host sent as it began is taken by someone else: the page was not listening yet.
    const early: FromHost[] = [];
    port2.addEventListener('message', (e) => early.push(e.data as FromHost));
    port2.start();
    await expect.poll(() => early.length).toBe(1);
    const host = await PortHost.connect(store.db, port2 as Port);
    expect(host.self).toEqual(store.self);
    expect(host.ownHubName()).toBe('Eastside Pantry');
  });

  it('gives the page this device’s settings as they change, each change a new snapshot, told once it is in', async () => {
    const { store, host } = await served();
    expect(host.self).toBeNull();
    const before = host.selfSnapshot;
    const seen: (string | null | undefined)[] = [];
    host.onSelfChanged(() => seen.push(host.self?.deviceName));
    const self = await host.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    expect(self).toEqual(store.self);
    // The answer brings the state with it: read at once after the command, it is the new one.
    expect(host.self).toEqual(store.self);
    expect(host.selfSnapshot).not.toBe(before);
    expect(host.selfSnapshot.row).toEqual(store.self);
    expect(host.signed).toBe(true);
    expect(host.ownHubName()).toBe('Eastside Pantry');
    await expect.poll(() => seen).toContain('Front desk');
    // Unchanged settings keep their snapshot (React would render again for nothing).
    const now = host.selfSnapshot;
    await host.catalogForSave();
    expect(host.selfSnapshot).toBe(now);
  });

  it('saves through the port and tells the page of each commit, with its entries', async () => {
    const { store, host } = await served();
    await host.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const item = await host.saveItem(rice);
    const commits: Commit[] = [];
    host.onCommitted((c) => commits.push(c));
    const entries = await host.recordDonation({
      source: 'individual',
      lines: [{ item: item.id, quantity: '12' }],
    });
    expect(entries).toMatchObject([{ kind: 'donation', item: item.id, qty: 12 }]);
    expect(await store.db.shelf.get(`${store.self!.hubId}|${item.id}`)).toMatchObject({ onHand: 12 });
    await expect.poll(() => commits.flatMap((c) => c.entries)).toMatchObject([{ kind: 'donation', qty: 12 }]);
    expect(commits[0]!.settings).toBeInstanceOf(Set);
    await expect(host.catalogForSave()).resolves.toBeInstanceOf(Map);
    await expect(host.ready).resolves.toBeUndefined();
  });

  it('refuses as the store does: a form’s problems and a pickup below zero arrive as the errors the forms tell apart', async () => {
    const { store, host } = await served();
    await host.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const item = await host.saveItem(rice);
    const bad = host.recordDonation({ source: 'individual', lines: [{ item: item.id, quantity: 'lots' }] });
    await expect(bad).rejects.toBeInstanceOf(ValidationError);
    const problem = (await bad.catch((e: ValidationError) => e)) as ValidationError;
    const direct = (await store
      .recordDonation({ source: 'individual', lines: [{ item: item.id, quantity: 'lots' }] })
      .catch((e: ValidationError) => e)) as ValidationError;
    expect(problem.issues).toEqual(direct.issues);
    expect(problem.issueFor('lines.0.quantity')).toBeDefined();

    const below = await host
      .recordPickup({ lines: [{ item: item.id, quantity: '3' }] })
      .catch((e: unknown) => e);
    expect(below).toBeInstanceOf(BelowZeroWarning);
    expect((below as BelowZeroWarning).messages).toEqual([
      msg('pickup.belowZero', { item: 'Rice', taking: 3, onHand: 0 }),
    ]);
    const [taken] = await host.recordPickup({
      acknowledgeBelowZero: true,
      lines: [{ item: item.id, quantity: '3' }],
    });
    expect(taken).toMatchObject({ belowZero: true });
  });
});

describe('errors over the port', () => {
  it('keep what the forms tell apart, and a full disk however deep it was wrapped', () => {
    const again = (e: unknown) => receivedError(structuredClone(sendError(e)));
    expect(again(new EarlierSaveFailed())).toBeInstanceOf(EarlierSaveFailed);
    const full = Object.assign(new Error('Transaction aborted'), {
      name: 'AbortError',
      inner: Object.assign(new Error('quota'), { name: 'QuotaExceededError' }),
    });
    expect(again(full)).toMatchObject({ name: 'AbortError', message: 'Transaction aborted' });
    expect((again(full).cause as { name: string }).name).toBe('QuotaExceededError');
    expect(again(new RangeError('no')).cause).toBeUndefined();
    expect(again('a string')).toMatchObject({ name: 'Error', message: 'a string' });
  });
});

describe('progress over the port', () => {
  it('is on the page’s clock: a Worker’s starts later than its page', async () => {
    const store = await device();
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const connecting = PortHost.connect(store.db, port2 as Port);
    port2.start();
    const state = {
      ...stateOf(store),
      loadProgress: { done: 1, total: 4, startedAt: 50 },
      figuresProgress: { done: 0, total: 2, startedAt: 10 },
      // The host's clock began 300 ms after the page's.
      timeOrigin: performance.timeOrigin + 300,
    };
    port1.postMessage({ state, told: 'self' } satisfies FromHost);
    const host = await connecting;
    expect(host.loadProgress).toEqual({ done: 1, total: 4, startedAt: 350 });
    expect(host.figuresProgress).toEqual({ done: 0, total: 2, startedAt: 310 });
    let told = 0;
    host.onBacklog(() => told++);
    port1.postMessage({ state: { ...state, loadProgress: null }, told: 'backlog' } satisfies FromHost);
    await expect.poll(() => told).toBe(1);
    expect(host.loadProgress).toBeNull();
  });
});

describe('a host that stops', () => {
  it('refuses the calls waiting for it and every later one, with the reason, and a call it cannot send', async () => {
    const store = await device();
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    // A host that says its state, then never answers (a Worker that died while saving).
    const connecting = PortHost.connect(store.db, port2 as Port);
    port1.postMessage({ state: stateOf(store), told: 'self' } satisfies FromHost);
    const host = await connecting;
    const waiting = host.saveItem(rice);
    const reason = new Error('The store’s worker stopped');
    host.stop(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(host.ready).rejects.toBe(reason);

    const { port1: other, port2: page } = new MessageChannel();
    ports.push(other, page);
    const live = PortHost.connect(store.db, page as Port);
    other.postMessage({ state: stateOf(store), told: 'self' } satisfies FromHost);
    const form = { ...rice, onSave: () => undefined };
    await expect((await live).saveItem(form)).rejects.toMatchObject({ name: 'DataCloneError' });
  });
});

describe('a host the page has before the store at the other end opens (PortHost.provisional)', () => {
  it('has the page’s own read until the host’s state comes, keeps its snapshot if the host’s is the same, and answers the calls made meanwhile', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    // What the page read itself: the stored row (a copy, as from its own connection).
    const read = structuredClone(store.self);
    const host = PortHost.provisional(store.db, port2 as Port, read);
    expect(host.answered).toBe(false);
    expect(host.self).toEqual(store.self);
    expect(host.ownHubName()).toBeNull();
    const snapshot = host.selfSnapshot;
    let told = 0;
    host.onSelfChanged(() => told++);
    // A call before the host serves waits in the port.
    const saved = host.saveItem(rice);
    serveStore(store, port1 as Port);
    await expect(saved).resolves.toBeTruthy();
    expect(host.answered).toBe(true);
    expect(host.ownHubName()).toBe('Eastside Pantry');
    expect(host.selfSnapshot).toBe(snapshot);
    expect(told).toBeGreaterThanOrEqual(1);
  });

  it('takes the host’s settings when they differ from the page’s read (written since it read them)', async () => {
    const store = await device();
    await store.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    const host = PortHost.provisional(store.db, port2 as Port, null);
    const snapshot = host.selfSnapshot;
    expect(snapshot.row).toBeNull();
    let told = 0;
    host.onSelfChanged(() => told++);
    serveStore(store, port1 as Port);
    await expect.poll(() => told).toBeGreaterThanOrEqual(1);
    expect(host.selfSnapshot).not.toBe(snapshot);
    expect(host.self).toEqual(store.self);
  });
});
