import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { parseCopyKey, parseVersionKey, SETTING_COPIES, SETTING_VERSIONS } from '../../shared/trust/settings';
import { HEADS, LEDGERS } from '../../shared/doc';
import { localCopyOf, writeStructs } from '../../shared/sync/skeleton';

/**
 * A staging doc: a fresh doc given everything a local change reads or builds on, without the ledgers'
 * contents (its base, a Yjs update). A local change is made in such a doc (with the live doc's
 * client id), so the update it produces is exactly the one the live doc would have produced, and the live
 * doc, which peers see, gets it only once it is on disk (DocPersistence.flush).
 *
 * What it holds, each struct under its real id so that new structs point at the right ones:
 * - every root map's current item per key (settings, heads, the ledgers map's arrays), with its content,
 *   or deleted if it is (a set deletes the current value, as in the live doc); of the writers' versions
 *   (and old-style copies) of settings, only this device's (`ownDevice`, when known), without their
 *   values (see below);
 * - every root list's items in order, with their content (the member list);
 * - the last item of every nested list (a device's ledger), as deleted content of the same length: an
 *   append needs only its id, never the entries;
 * - the rest of each of those clients' clocks, and all of this doc's own client's, as garbage-collected
 *   ranges (GC structs), so the staging doc numbers new structs as the live doc would.
 *
 * Its size follows the settings and member list, not the ledger: a few hundred structs for a network of
 * a dozen hubs. Items are written with no origin and an explicit parent (or, in a list, the previous item
 * as origin), which places them the same way in the staging doc.
 */
export function stagingDoc(doc: Y.Doc, ownDevice: string | null = null): Y.Doc {
  const base = compactBase(doc, ownDevice);
  if (base !== null) {
    // Every struct of the base must find what it builds on: one that Yjs cannot place holds back every
    // later struct of its client, and the staging doc would number this device's next struct at a clock
    // the live doc has used (the save's entries then never reach it). Checked in the doc it was applied to
    // (applying it once more into a scratch doc doubled the cost of every save that builds one: 15-40 ms
    // at a million entries); a doc whose base does not place cleanly is staged whole.
    const staged = new Y.Doc({ gc: true });
    try {
      Y.applyUpdate(staged, base);
      if (!staged.store.pendingStructs && !staged.store.pendingDs) return staged;
    } catch {
      // staged whole, below
    }
    staged.destroy();
  }
  const whole = new Y.Doc({ gc: true });
  // (Of a doc started from a skeleton, a skeleton too: it stays on this device.)
  Y.applyUpdate(whole, localCopyOf(doc));
  return whole;
}

/**
 * Whether a transaction of the live doc (one not made through a staging doc) changed what a staging doc
 * built before it gives a local change of `ownDevice`. Another device's entries, its signed head, and the
 * versions of settings it signed do not: a local change appends to this device's own ledger only, sets its
 * own head and versions only, and reads the heads from the live doc (`plannedHeads`). Everything else does
 * (settings, the member list, anything of this device's own, a type that is not a ledger), and so does any
 * change when `ownDevice` is null (the staging doc then holds every writer's versions).
 */
export function changesStaging(tr: Y.Transaction, ownDevice: string | null): boolean {
  if (tr.changed.size === 0) return false;
  if (ownDevice === null) return true;
  const names = new Map<unknown, string>();
  tr.doc.share.forEach((type, name) => names.set(type, name));
  const others = (keys: Set<string | null>, deviceOf: (key: string) => string | undefined = (k) => k) => {
    for (const key of keys) if (key === null || deviceOf(key) === ownDevice) return false;
    return true;
  };
  for (const [type, keys] of tr.changed) {
    const item = type._item;
    if (item) {
      // A nested type: another device's ledger (an array under its id in the ledgers map) or not.
      const parent = item.parent;
      if (parent && names.get(parent) === LEDGERS && item.parentSub !== null && item.parentSub !== ownDevice)
        continue;
      return true;
    }
    const name = names.get(type);
    if (name === LEDGERS && others(keys)) continue;
    if (name === HEADS && others(keys, (k) => (ownHead(k, ownDevice) ? ownDevice : k))) continue;
    if (name === SETTING_VERSIONS && others(keys, (k) => parseVersionKey(k)?.device)) continue;
    if (name === SETTING_COPIES && others(keys, (k) => parseCopyKey(k)?.device)) continue;
    return true;
  }
  return false;
}

/** Whether a key of the heads map is this device's: its id, or `<id>/<n>` after restarts (`headKey`). */
const ownHead = (key: string, ownDevice: string) => key === ownDevice || key.startsWith(`${ownDevice}/`);

/**
 * The signed heads a local change is planned against: the live doc's, with this device's own (under its id,
 * and after restarts of its chain under `<id>/<n>`) as the staging doc has them (the change sets them
 * there). A staging doc kept across another device's head (`changesStaging`) holds an older one of it. All
 * of the staging doc's when `ownDevice` is null.
 */
export function plannedHeads(
  live: Y.Doc,
  staging: Y.Doc,
  ownDevice: string | null,
): Pick<Y.Map<unknown>, 'entries'> {
  if (ownDevice === null) return staging.getMap<unknown>(HEADS);
  return {
    *entries() {
      for (const [key, head] of live.getMap<unknown>(HEADS).entries())
        if (!ownHead(key, ownDevice)) yield [key, head];
      for (const [key, head] of staging.getMap<unknown>(HEADS).entries())
        if (ownHead(key, ownDevice)) yield [key, head];
    },
  } as Pick<Y.Map<unknown>, 'entries'>;
}

/** What a base is made of: the structs kept, by client, and this doc's own client's clock. */
interface Collected {
  byClient: Map<number, (Y.Item | Y.GC)[]>;
  own: number;
  ownState: number;
}

/**
 * Structs collected between two looks at the clock, and written into one part of a base built in slices
 * (the pacer decides when to pause; this only bounds the work between two looks). 2,000 were steps of 48-83
 * ms in Chromium at a start (a network of about 3,000 levels): encoding and applying a part costs more
 * per struct than collecting it.
 */
const STEP_STRUCTS = 250;

/**
 * The structs of the small base, or null when a root list is not in its writers' own order (see below).
 * Yields now and then (every STEP_STRUCTS structs), for a caller that builds the base in slices.
 */
function* collect(doc: Y.Doc, ownDevice: string | null): Generator<void, Collected | null> {
  const byClient = new Map<number, (Y.Item | Y.GC)[]>();
  let count = 0;
  const keep = (struct: Y.Item | Y.GC) => {
    count++;
    const list = byClient.get(struct.id.client);
    if (list) list.push(struct);
    else byClient.set(struct.id.client, [struct]);
  };
  // A list item's content is copied: Yjs splices it in place when it splits or merges the item.
  const contentOf = (item: Y.Item) =>
    item.deleted
      ? new Y.ContentDeleted(item.length)
      : item.content instanceof Y.ContentAny
        ? new Y.ContentAny(item.content.arr.slice())
        : item.content;

  const keepNested = (type: Y.AbstractType<unknown>) => {
    let last = type._start;
    while (last?.right) last = last.right;
    if (last)
      keep(new Y.Item(last.id, null, null, null, null, type, null, new Y.ContentDeleted(last.length)));
    type._map.forEach((item, key) =>
      keep(new Y.Item(item.id, null, null, null, null, type, key, new Y.ContentDeleted(item.length))),
    );
  };

  let outOfOrder = false;
  for (const [name, type] of doc.share) {
    const copies = name === SETTING_COPIES;
    const versions = name === SETTING_VERSIONS;
    for (const [key, item] of type._map) {
      if (count >= STEP_STRUCTS) {
        count = 0;
        yield;
      }
      let content = item.deleted ? new Y.ContentDeleted(item.length) : item.content;
      if (copies || versions) {
        // The writers' versions (and old-style copies) of settings: a local change adds or removes only
        // this device's own, and what counts is judged from the live doc's (persistence.ts `trustView`).
        // So only this device's are kept, with a placeholder for each value: with their content, on a
        // network with thousands of signed levels, they doubled the base and the time of every save.
        const device = copies ? parseCopyKey(key)?.device : parseVersionKey(key)?.device;
        if (ownDevice !== null && device !== ownDevice) continue;
        if (content instanceof Y.ContentAny) content = new Y.ContentAny(content.arr.map(() => null));
      }
      keep(new Y.Item(item.id, null, null, null, null, type, key, content));
      if (!item.deleted && item.content instanceof Y.ContentType) keepNested(item.content.type);
    }
    let previous: Y.Item | null = null;
    for (let item = type._start; item; item = item.right) {
      // Yjs takes an item's origin of its own client to be an earlier struct of that client. Honest
      // devices only append, so the previous item always is; a key holder can insert before its own
      // earlier items (an attacker's member operation). Written with the previous item as origin, such an
      // item cannot be placed, and the staging doc numbered this device's next struct at a clock the
      // live doc had already used (the save's entries were then lost). Such a doc is staged whole.
      if (previous && previous.id.client === item.id.client && previous.id.clock > item.id.clock)
        outOfOrder = true;
      keep(
        previous
          ? new Y.Item(item.id, null, previous.lastId, null, null, null, null, contentOf(item))
          : new Y.Item(item.id, null, null, null, null, type, null, contentOf(item)),
      );
      previous = item;
    }
  }
  if (outOfOrder) return null;
  const own = doc.clientID;
  const ownState = Y.getState(doc.store, own);
  if (ownState > 0 && !byClient.has(own)) byClient.set(own, []);
  return { byClient, own, ownState };
}

/**
 * The base as Yjs updates of at most about `most` structs each (one update when it is Infinity), every
 * client's structs in the order of their clocks, with garbage-collected ranges between them: applied in
 * order, each part builds on the ones before it.
 */
function* baseParts({ byClient, own, ownState }: Collected, most: number): Generator<Uint8Array> {
  const runs: [client: number, structs: (Y.Item | Y.GC)[]][] = [];
  for (const [client, kept] of byClient) {
    kept.sort((a, b) => a.id.clock - b.id.clock);
    const structs: (Y.Item | Y.GC)[] = [];
    let clock = 0;
    for (const struct of kept) {
      if (struct.id.clock > clock) structs.push(new Y.GC(Y.createID(client, clock), struct.id.clock - clock));
      structs.push(struct);
      clock = struct.id.clock + struct.length;
    }
    if (client === own && ownState > clock)
      structs.push(new Y.GC(Y.createID(client, clock), ownState - clock));
    runs.push([client, structs]);
  }
  let part: [number, (Y.Item | Y.GC)[]][] = [];
  let size = 0;
  const encode = () => {
    const encoder = new Y.UpdateEncoderV1();
    writeStructs(encoder, part);
    // No deletions: deleted items are written with deleted content.
    encoding.writeVarUint(encoder.restEncoder, 0);
    part = [];
    size = 0;
    return encoder.toUint8Array();
  };
  for (const [client, structs] of runs) {
    if (structs.length === 0) continue;
    for (let from = 0; from < structs.length;) {
      const take = Math.max(1, Math.min(structs.length - from, most - size));
      part.push([client, structs.slice(from, from + take)]);
      size += take;
      from += take;
      if (size >= most) yield encode();
    }
  }
  if (part.length > 0 || size === 0) yield encode();
}

/** The small base as one update, or null when a root list is not in its writers' own order. */
function compactBase(doc: Y.Doc, ownDevice: string | null): Uint8Array | null {
  const steps = collect(doc, ownDevice);
  let step = steps.next();
  while (!step.done) step = steps.next();
  if (step.value === null) return null;
  return baseParts(step.value, Infinity).next().value as Uint8Array;
}

/**
 * `stagingDoc` built in slices, with `pace` awaited between them (the page runs meanwhile): at 30,000 signed
 * levels the base takes most of a second to make and apply. Null when `stale()` says the live doc changed
 * meanwhile what the staging doc would hold (then it would not be the doc `stagingDoc` makes now), or
 * when the base does not place cleanly (a save then stages the doc itself, as `stagingDoc` does).
 */
export async function stagingDocInSlices(
  doc: Y.Doc,
  ownDevice: string | null,
  pace: () => Promise<void>,
  stale: () => boolean,
): Promise<Y.Doc | null> {
  const steps = collect(doc, ownDevice);
  let step = steps.next();
  while (!step.done) {
    await pace();
    if (stale()) return null;
    step = steps.next();
  }
  if (step.value === null) return null;
  const staged = new Y.Doc({ gc: true });
  try {
    for (const part of baseParts(step.value, STEP_STRUCTS)) {
      Y.applyUpdate(staged, part);
      await pace();
      if (stale()) {
        staged.destroy();
        return null;
      }
    }
  } catch {
    staged.destroy();
    return null;
  }
  if (staged.store.pendingStructs || staged.store.pendingDs) {
    staged.destroy();
    return null;
  }
  return staged;
}
