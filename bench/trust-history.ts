import * as Y from 'yjs';
import { appendEntries } from '../shared/doc';
import type { Entry } from '../shared/entries';
import { chainStart, nextHead, type ChainState } from '../shared/trust/chain';
import { deviceIdOf, generateDeviceKeys, sign, type DeviceKeys } from '../shared/trust/crypto';

/**
 * A signed history for the trust benchmarks: `devices` devices of 20 hubs record `n` entries in saves of
 * 1 to 3 lines (a volunteer's form), each save signing its device's head, as the app does. The same
 * entries in the same saves without heads give the unsigned size to compare with.
 */
export const DEVICES = 40;
export const HUBS = 20;
export const ITEMS = 300;

/**
 * Yjs merges a device's consecutive appends into one item by concatenating their arrays
 * (`ContentAny.mergeWith`: `this.arr = this.arr.concat(right.arr)`), so each save copies the device's whole
 * ledger so far and building a 1M-entry doc save by save is quadratic (it had not finished after 40
 * minutes). The bench appends in place instead: the same items, merged the same way, the same bytes
 * (checked at 200k: 11,806,642 and 11,799,042 bytes either way), in linear time.
 */
function appendInPlaceWhenMerging(): void {
  const proto = Y.ContentAny.prototype as unknown as { mergeWith(right: { arr: unknown[] }): boolean };
  proto.mergeWith = function (this: { arr: unknown[] }, right: { arr: unknown[] }) {
    for (const x of right.arr) this.arr.push(x);
    return true;
  };
}

/** mulberry32, so every run builds the same history. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface SignedHistory {
  network: string;
  signed: Y.Doc;
  unsigned: Y.Doc;
  entries: Entry[];
  heads: Map<string, { seq: number; hash: string }>;
  keys: Map<string, DeviceKeys>;
  saves: number;
}

export async function signedHistory(
  n: number,
  options: { realSignatures: boolean; docs?: boolean },
): Promise<SignedHistory> {
  const withDocs = options.docs ?? true;
  if (withDocs) appendInPlaceWhenMerging();
  const random = prng(20_261_130);
  const bytes = (k: number) => Uint8Array.from({ length: k }, () => Math.floor(random() * 256));
  const network = 'benchnet00000001';
  const devices: { id: string; hub: string; keys: DeviceKeys; chain: ChainState; client: number }[] = [];
  for (let d = 0; d < DEVICES; d++) {
    const keys = await generateDeviceKeys(bytes);
    const id = deviceIdOf(keys.publicKey);
    devices.push({
      id,
      hub: `hub${String(d % HUBS).padStart(5, '0')}`,
      keys,
      chain: chainStart(network, id),
      client: 1_000 + d,
    });
  }
  const signed = new Y.Doc();
  const unsigned = new Y.Doc();
  const entries: Entry[] = [];
  const heads = new Map<string, { seq: number; hash: string }>();
  const start = Date.UTC(2026, 0, 1);
  // A made-up signature of the right length when signing every save for real would take minutes (1M).
  const fakeSig = 'A'.repeat(86);
  let saves = 0;
  while (entries.length < n) {
    const dev = devices[Math.floor(random() * DEVICES)]!;
    const lines = Math.min(n - entries.length, 1 + Math.floor(random() * 3));
    const at = start + entries.length * 30_000;
    const batch: Entry[] = [];
    for (let i = 0; i < lines; i++) {
      const item = `item${String(Math.floor(random() * ITEMS)).padStart(4, '0')}`;
      const seq = dev.chain.seq + i + 1;
      const pickup = random() < 0.5;
      batch.push(
        (pickup
          ? {
              kind: 'pickup',
              hub: dev.hub,
              device: dev.id,
              seq,
              item,
              at,
              recordedAt: at,
              qty: 1 + Math.floor(random() * 6),
            }
          : {
              kind: 'donation',
              hub: dev.hub,
              device: dev.id,
              seq,
              item,
              at,
              recordedAt: at,
              qty: 1 + Math.floor(random() * 40),
              source: 'individual',
            }) as Entry,
      );
    }
    const head = nextHead(network, dev.id, dev.chain, batch);
    dev.chain = head.chain;
    const { hash } = head;
    const sig = options.realSignatures ? await sign(dev.keys.privateKey, head.message) : fakeSig;
    // One transaction per save, as the app makes: grouping saves changes how replaced heads encode.
    // Each device writes under its own Yjs client id, as it does in the app (a doc per device, synced).
    if (withDocs) {
      signed.clientID = dev.client;
      unsigned.clientID = dev.client;
      appendEntries(signed, dev.id, batch, [dev.chain.seq, hash, sig]);
      appendEntries(unsigned, dev.id, batch);
    }
    heads.set(dev.id, { seq: dev.chain.seq, hash });
    for (const e of batch) entries.push(e);
    saves += 1;
  }
  return {
    network,
    signed,
    unsigned,
    entries,
    heads,
    keys: new Map(devices.map((d) => [d.id, d.keys])),
    saves,
  };
}
