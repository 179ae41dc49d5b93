import { NetworkViewModel, type HubPosition } from '../shared/network';
import { prng } from './generate';

/**
 * The coordinator's network model built from nothing, as its first load does (shared/network/incremental.ts):
 * 50 hubs by 2,000 items, 100,000 positions (random figures and rates, levels for two items in three), in
 * steps of 1,000 positions, then view(). No fold and no IndexedDB: the model's own work, for comparing two
 * versions of it in turns. Prints each run's time in ms.
 *
 *   npx tsx bench/network-model-build.ts [runs, default 5]
 */
const rand = prng(7);
const HUBS = 50;
const ITEMS = 2000;
const NOW = Date.UTC(2026, 10, 26, 12);
const hubId = (h: number) => `hub${String(h).padStart(5, '0')}`;
const itemId = (i: number) => `itm${String(i).padStart(5, '0')}`;
const hubs = Array.from({ length: HUBS }, (_, h) => ({
  id: hubId(h),
  name: `Hub ${h + 1}`,
  newestEntryAt: NOW - (h % 10 === 9 ? 3 * 86400000 : 3600000),
}));
const items = Array.from({ length: ITEMS }, (_, i) => ({
  id: itemId(i),
  name: `Item ${(i * 7919) % ITEMS}`,
  category: 'Food',
}));
const positions: HubPosition[] = [];
for (let h = 0; h < HUBS; h++)
  for (let i = 0; i < ITEMS; i++) {
    const lv = i % 3 === 0 ? undefined : { min: 5 + (i % 7) * 5, target: 40 + (i % 5) * 20 };
    const p: HubPosition = {
      hub: hubId(h),
      item: itemId(i),
      onHand: Math.floor(rand() * 80) - 5,
      rate: rand() < 0.5 ? rand() * 4 : 0,
    };
    if (lv) p.levels = lv;
    positions.push(p);
  }
const times: number[] = [];
for (let r = 0; r < Number(process.argv[2] ?? 5); r++) {
  const t = performance.now();
  const m = new NetworkViewModel({ now: NOW, hubs, items, positions, inTransit: [] });
  while (m.refreshSome(1000));
  m.view();
  times.push(performance.now() - t);
}
console.log(times.map((t) => t.toFixed(0)).join(' '));
