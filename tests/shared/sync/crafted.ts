import type * as Y from 'yjs';

/**
 * Updates no Yjs API writes, hand-written in Yjs's update format (v1), for what a hostile sender can send.
 */

/** A number as Yjs's variable-length unsigned integer (lib0). */
export function varUint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/**
 * One item of client `client` placed right after `left`, its content already collected, and no delete
 * set: as it integrates, Yjs deletes `left` (the key's value until then), and the key is left empty. No
 * Yjs API sends such an item without also deleting `left` in its delete set.
 */
export function collectedAfter(left: Y.Item, client = 99): Uint8Array {
  const last = left.lastId;
  // 1 client, 1 struct, from clock 0; info = ContentDeleted (1) | origin (128); length 1; no deletes.
  return new Uint8Array([
    1,
    1,
    ...varUint(client),
    0,
    1 | 128,
    ...varUint(last.client),
    ...varUint(last.clock),
    1,
    0,
  ]);
}

/** A string as lib0 writes it: its UTF-8 length, then its bytes. */
function varString(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...varUint(bytes.length), ...bytes];
}

/**
 * One item of client `client` under `key` of the root map `root`, as a key's first value (no origin), its
 * content already collected, and no delete set: placed among the key's first values by client id.
 */
export function collectedFirst(root: string, key: string, client: number): Uint8Array {
  // 1 client, 1 struct, from clock 0; info = ContentDeleted (1) | parentSub (32); parent named by its key (1).
  return new Uint8Array([
    1,
    1,
    ...varUint(client),
    0,
    1 | 32,
    1,
    ...varString(root),
    ...varString(key),
    1,
    0,
  ]);
}
