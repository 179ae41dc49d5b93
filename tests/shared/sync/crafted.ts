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
