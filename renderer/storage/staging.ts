import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { parseCopyKey, parseVersionKey, SETTING_COPIES, SETTING_VERSIONS } from '../../shared/trust/settings';

/**
 * The base of a staging doc: a Yjs update that gives a fresh doc everything a local change reads or
 * builds on, without the ledgers' contents. A local change is made in such a doc (with the live doc's
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
export function stagingBase(doc: Y.Doc, ownDevice: string | null = null): Uint8Array {
  const base = compactBase(doc, ownDevice);
  if (base === null) return Y.encodeStateAsUpdate(doc);
  // Every struct of the base must find what it builds on: one that Yjs cannot place holds back every
  // later struct of its client, and the staging doc would number this device's next struct at a clock
  // the live doc has used (the save's entries then never reach it). Checked on a scratch doc (the base is
  // small); a doc whose base does not place cleanly is staged whole.
  const check = new Y.Doc({ gc: true });
  try {
    Y.applyUpdate(check, base);
  } catch {
    return Y.encodeStateAsUpdate(doc);
  }
  if (check.store.pendingStructs || check.store.pendingDs) return Y.encodeStateAsUpdate(doc);
  return base;
}

/** The small base, or null when a root list is not in its writers' own order (see below). */
function compactBase(doc: Y.Doc, ownDevice: string | null): Uint8Array | null {
  const byClient = new Map<number, (Y.Item | Y.GC)[]>();
  const keep = (struct: Y.Item | Y.GC) => {
    const list = byClient.get(struct.id.client);
    if (list) list.push(struct);
    else byClient.set(struct.id.client, [struct]);
  };
  const contentOf = (item: Y.Item) => (item.deleted ? new Y.ContentDeleted(item.length) : item.content);

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
  doc.share.forEach((type, name) => {
    const copies = name === SETTING_COPIES;
    const versions = name === SETTING_VERSIONS;
    type._map.forEach((item, key) => {
      let content = contentOf(item);
      if (copies || versions) {
        // The writers' versions (and old-style copies) of settings: a local change adds or removes only
        // this device's own, and what counts is judged from the live doc's (persistence.ts `trustView`).
        // So only this device's are kept, with a placeholder for each value: with their content, on a
        // network with thousands of signed levels, they doubled the base and the time of every save.
        const device = copies ? parseCopyKey(key)?.device : parseVersionKey(key)?.device;
        if (ownDevice !== null && device !== ownDevice) return;
        if (content instanceof Y.ContentAny) content = new Y.ContentAny(content.arr.map(() => null));
      }
      keep(new Y.Item(item.id, null, null, null, null, type, key, content));
      if (!item.deleted && item.content instanceof Y.ContentType) keepNested(item.content.type);
    });
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
  });

  if (outOfOrder) return null;

  const own = doc.clientID;
  const ownState = Y.getState(doc.store, own);
  if (ownState > 0 && !byClient.has(own)) byClient.set(own, []);

  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, byClient.size);
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
    encoding.writeVarUint(encoder.restEncoder, structs.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, 0);
    for (const struct of structs) struct.write(encoder, 0);
  }
  // No deletions: deleted items are written with deleted content.
  encoding.writeVarUint(encoder.restEncoder, 0);
  return encoder.toUint8Array();
}
