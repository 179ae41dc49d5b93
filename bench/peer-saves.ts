// fake-indexeddb must install its globals before Dexie is loaded (Dexie reads them on import).
import 'fake-indexeddb/auto';
import * as Y from 'yjs';
import { encodeAppliedState } from '../shared/sync/ingest';
import { docHolding } from '../shared/sync/skeleton';
import type { LarderStore } from '../renderer/storage/store';
import { FakeClock, Prng, openReplica, reopenReplica } from '../tests/renderer/replicas';
import { commandLine } from './report';

/**
 * A hub device recording pickups while a peer's entries keep arriving (two devices of one hub on a LAN), on
 * a network with many signed levels (a coordinator's 50 hubs by 2,000 items set about 30,000): the time of
 * each pickup, from the call to "saved", and of the staging doc it is made in (persistence.ts `staging`);
 * then pickups each made at once after a peer's setting (which drops the staging doc kept: the pickup has
 * one built), with the longest the thread was held meanwhile (a 1 ms timer's longest wait); an admin's
 * change of the other device's role likewise (the settings that device wrote are judged again); then the
 * time of setting one item's levels, as a coordinator editing them; and the first pickup after a restart.
 * In Node, on fake-indexeddb: the staging doc and the settings' checks are the same code as in the page,
 * the disk is not. Prints numbers; asserts nothing.
 *
 *   npx tsx bench/peer-saves.ts [--levels=30000] [--runs=30]
 */
const { option } = commandLine();
const levels = Number(option('levels') ?? 30_000);
const runs = Number(option('runs') ?? 30);

const clock = new FakeClock();
const rng = new Prng(5);
const replicaA = await openReplica(0, clock, rng, 'peer-saves');
let a = replicaA.store;
const b = (await openReplica(2, clock, rng, 'peer-saves')).store;
const send = async (from: LarderStore, to: LarderStore) => {
  // As the app answers: a device on a skeleton of its doc answers a peer short of history from its disk.
  const sv = Y.encodeStateVector(to.persistence.doc);
  const update = encodeAppliedState(await docHolding(from.persistence.doc, sv), sv);
  const result = await to.applyRemoteUpdate(update, 'peer');
  if (!result.ok) throw new Error(JSON.stringify(result));
};
await a.createNetwork({ hubName: 'Eastside Pantry', deviceName: 'Front desk' });
const rice = await a.saveItem({ name: 'Rice', category: 'Food', unit: 'bag', packSize: '', barcodes: '' });
// The levels of items the bench does not make (the levels map does not need them to exist).
const ids = Array.from({ length: levels }, (_, i) => `item${String(i).padStart(6, '0')}`);
for (let i = 0; i < ids.length; i += 5000)
  await a.setManyLevels(ids.slice(i, i + 5000), { min: '5', target: '10' });
await b.joinNetwork({ invite: await a.preApprovedInvite(), deviceName: 'Back room' });
await send(b, a);
await send(a, b);
await b.chooseHub({ hubId: a.self!.hubId! });
await send(b, a);
await a.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '500' }] });

const saves: number[] = [];
const staging: number[] = [];
const persistence = a.persistence as unknown as { staging(): Y.Doc };
const made = persistence.staging.bind(persistence);
persistence.staging = () => {
  const t = performance.now();
  const doc = made();
  staging.push(performance.now() - t);
  return doc;
};
for (let i = 0; i < runs; i++) {
  clock.advance(1000);
  await b.recordDonation({ source: 'individual', lines: [{ item: rice.id, quantity: '1' }] });
  await send(b, a);
  const t = performance.now();
  await a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
  saves.push(performance.now() - t);
}
const sorted = (x: number[]) => [...x].sort((p, q) => p - q);
const at = (x: number[], q: number) => sorted(x)[Math.min(x.length - 1, Math.floor(x.length * q))]!;
const ms = (v: number) => `${v.toFixed(1)} ms`;
console.log(
  `${levels} signed levels, ${runs} pickups each after a peer's donation: saved in median ${ms(at(saves, 0.5))}, ` +
    `p95 ${ms(at(saves, 0.95))}, max ${ms(Math.max(...saves))}; the staging doc: median ${ms(at(staging, 0.5))}, ` +
    `max ${ms(Math.max(...staging))}`,
);
// Pickups each right after a peer's setting: the staging doc is built for each, in slices or in one go.
const heldFor = () => {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return () => {
    clearInterval(timer);
    return Math.max(longest, performance.now() - last);
  };
};
const afterSetting: number[] = [];
const held: number[] = [];
for (let i = 0; i < Math.min(runs, 15); i++) {
  clock.advance(1000);
  await b.setLevels(rice.id, { min: String(i + 1), target: String(i + 20) });
  await send(b, a);
  const stop = heldFor();
  const t = performance.now();
  await a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
  afterSetting.push(performance.now() - t);
  held.push(stop());
}
console.log(
  `${levels} signed levels, ${afterSetting.length} pickups each right after a peer's setting: saved in median ` +
    `${ms(at(afterSetting, 0.5))}, max ${ms(Math.max(...afterSetting))}; the thread held at most, median ` +
    `${ms(at(held, 0.5))}, max ${ms(Math.max(...held))}`,
);
// An admin's member change (the other device's role, changed back and forth), each right after a peer's
// setting: the member list is read from a staging doc (built in slices first if none is kept), and the
// settings of the device whose standing changed are judged again.
const approvals: number[] = [];
const approvalHeld: number[] = [];
for (let i = 0; i < Math.min(runs, 15); i++) {
  clock.advance(1000);
  await b.setLevels(rice.id, { min: String(i + 2), target: String(i + 30) });
  await send(b, a);
  const stop = heldFor();
  const t = performance.now();
  await a.approveDevice(b.self!.deviceId, i % 2 === 0 ? 'coordinator' : 'hub');
  approvals.push(performance.now() - t);
  approvalHeld.push(stop());
}
console.log(
  `${levels} signed levels, ${approvals.length} role changes each right after a peer's setting: made in median ` +
    `${ms(at(approvals, 0.5))}, max ${ms(Math.max(...approvals))}; the thread held at most, median ` +
    `${ms(at(approvalHeld, 0.5))}, max ${ms(Math.max(...approvalHeld))}`,
);
// A coordinator's edit: one item's levels, set again and again (each signed past the one before).
const edits: number[] = [];
for (let i = 0; i < 15; i++) {
  clock.advance(1000);
  const t = performance.now();
  await a.setLevels(rice.id, { min: String(i), target: String(i + 10) });
  edits.push(performance.now() - t);
}
console.log(
  `${levels} signed levels, one item's levels set ${edits.length} times: median ${ms(at(edits, 0.5))}, ` +
    `max ${ms(Math.max(...edits))}`,
);
// The first pickup after the app starts again: its commit is the first to read the member list since.
const restarts: number[] = [];
const restartHeld: number[] = [];
for (let i = 0; i < 3; i++) {
  a.close();
  a = (await reopenReplica(replicaA, clock, rng)).store;
  await a.ready;
  clock.advance(1000);
  const stop = heldFor();
  const t = performance.now();
  await a.recordPickup({ lines: [{ item: rice.id, quantity: '1' }] });
  restarts.push(performance.now() - t);
  restartHeld.push(stop());
}
console.log(
  `${levels} signed levels, the first pickup after each of ${restarts.length} restarts: ` +
    `${restarts.map(ms).join(', ')}; the thread held at most ${restartHeld.map(ms).join(', ')}`,
);
a.close();
b.close();
