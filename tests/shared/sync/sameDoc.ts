import { expect } from 'vitest';
import * as Y from 'yjs';

/**
 * Everything a doc holds that a reader can tell apart: nothing held back, clocks, deletions and the contents
 * of every root type (a list, a map or a text).
 */
export function sameDoc(a: Y.Doc, b: Y.Doc): void {
  expect(b.store.pendingStructs).toBeNull();
  expect(b.store.pendingDs).toBeNull();
  expect(Y.decodeStateVector(Y.encodeStateVector(b))).toEqual(Y.decodeStateVector(Y.encodeStateVector(a)));
  expect(
    Y.equalDeleteSets(Y.createDeleteSetFromStructStore(a.store), Y.createDeleteSetFromStructStore(b.store)),
  ).toBe(true);
  for (const [name, type] of a.share) {
    if (type instanceof Y.Text) {
      expect(b.getText(name).toString(), name).toBe(type.toString());
      continue;
    }
    // A root type a doc got from an update is untyped until asked for as a list or a map.
    const list = type instanceof Y.Array || (!(type instanceof Y.Map) && type._start !== null);
    const read = (doc: Y.Doc) => (list ? doc.getArray(name) : doc.getMap(name)).toJSON();
    expect(read(b), name).toEqual(read(a));
  }
}
