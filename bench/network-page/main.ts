import { fromBase64Url } from '../../shared/sync/encoding';
import { LarderDB } from '../../renderer/storage/db';
import { fetchState, seedDatabase } from '../page/seed';
import { LarderStore } from '../../renderer/storage/store';
import { NetworkModel } from '../../renderer/data/networkModel';
import type { NetworkView } from '../../shared/network';
import type { LarderNetworkBench, RemoteTiming } from './api';
import { messageForLog } from '../../shared/messages';

/**
 * The network bench page: seeds a coordinator's `larder` IndexedDB and drives the real NetworkModel
 * (renderer/app/networkModel.ts) over the real LarderStore, as the Network screen does through
 * useNetworkData: subscribe, take the snapshot, call `snapshot.model.view()`.
 */
let store: LarderStore | null = null;
let model: NetworkModel | null = null;

const freshTotal = (view: NetworkView, item: string) =>
  view.items.find((i) => i.item === item)?.freshTotal ?? 0;

interface Shown {
  publishedAt: number;
  viewedAt: number;
  view: NetworkView;
}

/** Resolves at the model's next publish, with the time and the view computed right then. */
function nextView(m: NetworkModel): Promise<Shown> {
  return new Promise((resolve) => {
    const off = m.subscribe(() => {
      const publishedAt = performance.now();
      off();
      const view = m.current!.model.view();
      resolve({ publishedAt, viewedAt: performance.now(), view });
    });
  });
}

/** How long a remote entry is waited for in the view, past its commit, before it is reported as not shown. */
const SHOWN_WITHIN_MS = 10_000;

/**
 * Resolves at the first of the model's publishes whose view shows `item`'s fresh total at `expected`, with
 * the time and the view computed right then. A publish that does not (one under way when the entry came,
 * made from rows read before it) is passed over: taking the next publish, whatever it showed, timed the
 * first entry after the screen opened by a publish without it. If none shows it within SHOWN_WITHIN_MS of
 * `committed`, resolves with the last publish (or null): the bench reports it as not as expected.
 */
function viewShowing(
  m: NetworkModel,
  item: string,
  expected: number,
  committed: Promise<number>,
): Promise<Shown | null> {
  return new Promise((resolve) => {
    let last: Shown | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (shown: Shown | null) => {
      off();
      clearTimeout(timer);
      resolve(shown);
    };
    const off = m.subscribe(() => {
      const publishedAt = performance.now();
      const view = m.current!.model.view();
      last = { publishedAt, viewedAt: performance.now(), view };
      if (freshTotal(view, item) === expected) done(last);
    });
    void committed.then(
      () => (timer = setTimeout(() => done(last), SHOWN_WITHIN_MS)),
      () => done(last),
    );
  });
}

const bench: LarderNetworkBench = {
  async seed(dataUrl, entries, self) {
    const { state, fetchMs } = await fetchState(dataUrl);
    const { loadMs, rebuildMs, rebuiltEntries, rebuildProblems } = await seedDatabase(state, entries, self);
    return { stateBytes: state.byteLength, fetchMs, loadMs, rebuildMs, rebuiltEntries, rebuildProblems };
  },

  async load() {
    let t = performance.now();
    store = await LarderStore.open(new LarderDB());
    await store.ready;
    const readyMs = performance.now() - t;
    const db = store.db;
    const [stockRows, levelsRows, categoryLevelsRows, usageRows] = await Promise.all([
      db.stock.count(),
      db.levels.count(),
      db.categoryLevels.count(),
      db.usage.count(),
    ]);

    t = performance.now();
    model = new NetworkModel(store);
    const first = nextView(model);
    const { publishedAt, viewedAt, view } = await first;
    const firstSnapshotMs = publishedAt - t;
    const firstViewMs = viewedAt - publishedAt;
    t = performance.now();
    model.current!.model.view();
    const repeatViewMs = performance.now() - t;
    const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
    return {
      readyMs,
      firstSnapshotMs,
      firstSnapshotParts: model.lastLoad,
      firstViewMs,
      repeatViewMs,
      stockRows,
      levelsRows,
      categoryLevelsRows,
      usageRows,
      view: {
        items: view.items.length,
        hubs: view.hubs.length,
        moves: view.moves.length,
        itemsWithNeeds: view.items.filter(
          (i) => i.outHubs.length + i.shortHubs.length + i.runningOutHubs.length > 0,
        ).length,
        hubsWithShortages: view.hubs.filter((h) => h.shortages.length > 0).length,
      },
      heapMB: memory ? memory.usedJSHeapSize / 2 ** 20 : null,
    };
  },

  async remote(entry) {
    if (!store || !model) throw new Error('load() first');
    const update = fromBase64Url(entry.update);
    if (!update) throw new Error('bad update');
    const before = freshTotal(model.current!.model.view(), entry.item);
    const t0 = performance.now();
    const applied = store.applyRemoteUpdate(update, 'peer').then((r) => {
      if (!r.ok) throw new Error(messageForLog(r.message));
      return performance.now();
    });
    const shown = await viewShowing(model, entry.item, before + entry.effect, applied);
    const committedAt = await applied;
    if (!shown) throw new Error(`the model published nothing within ${SHOWN_WITHIN_MS} ms of the commit`);
    const { publishedAt, viewedAt, view } = shown;
    const after = freshTotal(view, entry.item);
    const timing: RemoteTiming = {
      publishMs: publishedAt - t0,
      viewMs: viewedAt - publishedAt,
      totalMs: viewedAt - t0,
      committedMs: committedAt - t0,
      before,
      after,
      changed: after - before === entry.effect,
    };
    return timing;
  },

  close() {
    model?.dispose();
    store?.close();
    model = null;
    store = null;
  },
};

window.larderNetworkBench = bench;
document.getElementById('status')!.textContent = 'Larder network bench page ready';
