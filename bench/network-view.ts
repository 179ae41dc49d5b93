/**
 * Network view at coordinator scale: 50 hubs x 2,000 items over 1M entries (Node, in memory).
 *
 *   npx tsx bench/network-view.ts [--entries 1000000]
 *
 * Builds the stock and usage rows with the real Projector from 1M generated entries, feeds the network
 * view model (shared/network/incremental.ts) exactly as the renderer's NetworkModel does, then measures
 * the time from a new remote entry to the updated view: incremental projection of the entry, position
 * update, and `view()`. IndexedDB reads are not included (the renderer re-reads only the touched rows).
 * Prints numbers; asserts nothing.
 */
import { parseArgs } from 'node:util';
import type { Entry } from '../shared/entries';
import { NetworkViewModel, networkView, ratesFromUsage, utcDay, type HubPosition } from '../shared/network';
import { Projector, stockKey } from '../shared/projection';
import { prng } from './generate';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '1000000' } } });
const N = Number(values.entries);
const HUBS = 50;
const ITEMS = 2000;
const NOW = Date.UTC(2026, 10, 26, 12);
const DAY = 86_400_000;
const rand = prng(4242);
const pick = (n: number) => Math.floor(rand() * n);
const hubId = (h: number) => `hub${String(h).padStart(5, '0')}`;
const itemId = (i: number) => `itm${String(i).padStart(5, '0')}`;
const deviceId = (h: number) => `dev${String(h).padStart(5, '0')}`;
const ms = (t: number) => `${t.toFixed(1)} ms`;

const seqs = new Array<number>(HUBS).fill(0);
function entry(h: number, i: number, at: number): Entry {
  const seq = ++seqs[h]!;
  const base = { hub: hubId(h), device: deviceId(h), seq, item: itemId(i), at, recordedAt: at };
  return rand() < 0.5
    ? { kind: 'donation', ...base, qty: 1 + pick(20), source: 'individual' }
    : { kind: 'pickup', ...base, qty: 1 + pick(8) };
}

let t = performance.now();
const projector = new Projector();
for (let k = 0; k < N; k++) {
  // A year of history, the last weeks busier, so days of cover have pickups to work from.
  const at = Math.floor((NOW - (rand() < 0.2 ? rand() * 14 : rand() * 365) * DAY) / 1000) * 1000;
  projector.apply(entry(pick(HUBS), pick(ITEMS), at));
}
const foldMs = performance.now() - t;
const stock = new Map(projector.allStock().map((s) => [s.key, s]));
const today = utcDay(NOW);
const rates = ratesFromUsage(projector.allUsage(), today);
const levels = (i: number) => (i % 3 === 0 ? undefined : { min: 5 + (i % 7) * 5, target: 40 + (i % 5) * 20 });
const hubs = Array.from({ length: HUBS }, (_, h) => ({
  id: hubId(h),
  name: `Hub ${h + 1}`,
  newestEntryAt: NOW - (h % 10 === 9 ? 3 * DAY : 3_600_000),
}));
const items = Array.from({ length: ITEMS }, (_, i) => ({
  id: itemId(i),
  name: `Item ${i + 1}`,
  category: 'Food',
}));
const position = (hub: string, i: number): HubPosition => {
  const key = stockKey(hub, itemId(i));
  const lv = levels(i);
  return {
    hub,
    item: itemId(i),
    onHand: stock.get(key)?.onHand ?? 0,
    ...(lv ? { levels: lv } : {}),
    rate: rates.get(key) ?? 0,
  };
};
const positions = hubs.flatMap((h) => items.map((_, i) => position(h.id, i)));

t = performance.now();
const full = networkView({ now: NOW, hubs, items, positions, inTransit: [] });
const fullMs = performance.now() - t;
t = performance.now();
const model = new NetworkViewModel({ now: NOW, hubs, items, positions, inTransit: [] });
model.view();
const firstMs = performance.now() - t;
// As the renderer's NetworkModel prepares its first view: in steps of 1,000 positions, then view().
const stepped = new NetworkViewModel({ now: NOW, hubs, items, positions, inTransit: [] });
const steps: number[] = [];
for (let more = true; more;) {
  t = performance.now();
  more = stepped.refreshSome(1_000);
  steps.push(performance.now() - t);
}
t = performance.now();
stepped.view();
const lastStepMs = performance.now() - t;
const longestStepMs = Math.max(...steps, lastStepMs);

const samples: number[] = [];
for (let r = 0; r < 25; r++) {
  const h = pick(HUBS);
  const i = pick(ITEMS);
  const e = entry(h, i, NOW - 60_000);
  const t0 = performance.now();
  // What a commit does: project the entry against a snapshot of the rows it touches...
  const need = Projector.lookups([e]);
  const inc = new Projector({
    stock: need.stockKeys.flatMap((k) => (stock.has(k) ? [stock.get(k)!] : [])),
    ledger: [],
  });
  inc.apply(e);
  for (const row of inc.changes().stock) stock.set(row.key, row);
  // ...then update that one position and read the view.
  model.setPositions([position(hubId(h), i)]);
  const view = model.view();
  samples.push(performance.now() - t0);
  if (!view.items.some((s) => s.item === itemId(i))) throw new Error('the view lost the item');
}
samples.sort((a, b) => a - b);
const median = samples[Math.floor(samples.length / 2)]!;
const p95 = samples[Math.floor(samples.length * 0.95)]!;

console.log(
  `Network view, ${HUBS} hubs x ${ITEMS} items, ${N.toLocaleString('en')} entries (Node ${process.version})`,
);
console.log(`| Metric | Value | Target | Met? |`);
console.log(`| --- | --- | --- | --- |`);
console.log(`| Fold of all entries (Projector) | ${(foldMs / 1000).toFixed(1)} s | — | — |`);
console.log(`| Positions | ${positions.length.toLocaleString('en')} | — | — |`);
console.log(`| Full networkView (not incremental) | ${ms(fullMs)} | — | — |`);
console.log(`| First view of the incremental model | ${ms(firstMs)} | — | — |`);
console.log(
  `| The same in steps of 1,000 positions (as the app): steps, longest (view() included) | ${steps.length}, ${ms(longestStepMs)} | < 50 ms | ${longestStepMs < 50 ? 'yes' : 'NO'} |`,
);
console.log(
  `| New entry to updated view, median of 25 | ${ms(median)} | < 100 ms | ${median < 100 ? 'yes' : 'NO'} |`,
);
console.log(`| New entry to updated view, p95 | ${ms(p95)} | < 100 ms | ${p95 < 100 ? 'yes' : 'NO'} |`);
console.log(
  `| Items short or out somewhere / suggested moves | ${full.items.filter((s) => s.shortHubs.length + s.outHubs.length > 0).length} / ${full.moves.length} | — | — |`,
);
