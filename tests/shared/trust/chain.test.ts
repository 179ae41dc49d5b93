import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { decodeEntry, encodeEntry } from '../../../shared/wire';
import {
  BLOCK,
  chainStart,
  entryLine,
  extendChain,
  headHash,
  headMessage,
  nextHead,
  type ChainState,
} from '../../../shared/trust/chain';
import { deviceIdOf, fingerprintOf, generateDeviceKeys, sign, verify } from '../../../shared/trust/crypto';
import { fromBase64Url, toBase64Url } from '../../../shared/sync/encoding';
import { entryArb, fcOptions, idArb } from '../arbitraries';
import { Gate, verdict } from '../../../shared/trust/gate';
import type { MemberState } from '../../../shared/trust/members';

const NET = 'net0test';
const DEV = 'devatest';

/** A device's ledger: entries of `entryArb` renumbered 1..n for one device. */
const ledgerOf = (min: number, max: number) =>
  fc
    .array(entryArb(), { minLength: min, maxLength: max })
    .map((es) => es.map((e, i) => ({ ...e, device: DEV, seq: i + 1 }) as Entry));

const chainOf = (entries: readonly Entry[], start: ChainState = chainStart(NET, DEV)) =>
  extendChain(start, entries.map(entryLine));

let n = 0;
const seededBytes = (k: number) =>
  Uint8Array.from({ length: k }, () => (n = (n * 1103515245 + 12345) >>> 0) & 0xff);

describe('the hash chain over a device’s entries', () => {
  it('is the same whether entries are added at once or save by save', () => {
    fc.assert(
      fc.property(
        ledgerOf(1, 200),
        fc.array(fc.integer({ min: 1, max: 70 }), { maxLength: 10 }),
        (entries, cuts) => {
          let chain = chainStart(NET, DEV);
          let at = 0;
          for (const cut of cuts) {
            chain = chainOf(entries.slice(at, at + cut), chain);
            at = Math.min(entries.length, at + cut);
          }
          chain = chainOf(entries.slice(at), chain);
          expect(chain.seq).toBe(entries.length);
          expect(headHash(chain)).toBe(headHash(chainOf(entries)));
        },
      ),
      fcOptions(0.5),
    );
  });

  it('detects any change to any entry: another entry at any position gives another head', () => {
    fc.assert(
      fc.property(ledgerOf(1, 150), fc.nat(), entryArb(), (entries, at, other) => {
        const i = at % entries.length;
        const swapped = { ...other, device: DEV, seq: i + 1 } as Entry;
        fc.pre(JSON.stringify(encodeEntry(swapped)) !== JSON.stringify(encodeEntry(entries[i]!)));
        const tampered = entries.map((e, j) => (j === i ? swapped : e));
        expect(headHash(chainOf(tampered))).not.toBe(headHash(chainOf(entries)));
      }),
      fcOptions(),
    );
  });

  it('is bound to its network and device, and the canonical line survives the wire', () => {
    fc.assert(
      fc.property(ledgerOf(1, 20), idArb, (entries, other) => {
        fc.pre(other !== DEV);
        expect(headHash(chainOf(entries, chainStart(NET, other)))).not.toBe(headHash(chainOf(entries)));
        for (const e of entries) {
          const decoded = decodeEntry(encodeEntry(e));
          expect(decoded.ok).toBe(true);
          if (decoded.ok) expect(entryLine(decoded.entry)).toBe(entryLine(e));
        }
      }),
      fcOptions(0.5),
    );
  });
});

describe('signatures of heads', () => {
  it('verify only for the exact message and key: flipping any byte of either, or of the signature, fails', async () => {
    const keys = await generateDeviceKeys(seededBytes);
    const other = await generateDeviceKeys(seededBytes);
    const message = headMessage(NET, deviceIdOf(keys.publicKey), 12, 'x'.repeat(43));
    const sig = await sign(keys.privateKey, message);
    expect(await verify(keys.publicKey, message, sig)).toBe(true);
    expect(await verify(other.publicKey, message, sig)).toBe(false);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom('sig', 'message', 'key'),
        async (pos, flip, what) => {
          const bytes = (s: string) => fromBase64Url(s)!;
          if (what === 'message') {
            const m = new TextEncoder().encode(message);
            m[pos % m.length]! ^= flip;
            const tampered = new TextDecoder().decode(m);
            fc.pre(tampered !== message);
            expect(await verify(keys.publicKey, tampered, sig)).toBe(false);
          } else {
            const raw = bytes(what === 'sig' ? sig : keys.publicKey);
            raw[pos % raw.length]! ^= flip;
            const t = toBase64Url(raw);
            expect(await verify(what === 'key' ? t : keys.publicKey, message, what === 'sig' ? t : sig)).toBe(
              false,
            );
          }
        },
      ),
      fcOptions(0.3),
    );
  });

  it('never throws on hostile input', async () => {
    for (const [key, sig] of [
      ['', ''],
      ['not base64!', 'x'],
      ['A'.repeat(43), 'A'.repeat(86)],
    ] as const)
      expect(await verify(key, 'm', sig)).toBe(false);
    expect(await verify(1 as unknown as string, 'm', 'x')).toBe(false);
  });

  it('device ids and fingerprints are derived from the key', async () => {
    const keys = await generateDeviceKeys(seededBytes);
    expect(deviceIdOf(keys.publicKey)).toMatch(/^[0-9a-z]{16}$/);
    expect(fingerprintOf(keys.publicKey)).toMatch(/^\d{5} \d{5} \d{5} \d{5}$/);
    const other = await generateDeviceKeys(seededBytes);
    expect(deviceIdOf(other.publicKey)).not.toBe(deviceIdOf(keys.publicKey));
  });
});

const approved = (): MemberState => ({
  network: NET,
  members: new Map([
    [
      DEV,
      { device: DEV, key: 'k', name: 'd', hub: null, role: 'coordinator', approvedBy: DEV, approvedAt: 0 },
    ],
  ]),
  requests: new Map(),
  keys: new Map(),
  rotation: null,
  signed: new Map(),
  problems: [],
});

describe('the gate', () => {
  it('counts exactly the signed entries that keep the rules, whatever the order, the steps and the forged copies', () => {
    fc.assert(
      fc.property(
        ledgerOf(1, 80),
        fc.array(entryArb(), { maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.nat(),
        (entries, forgeries, splits, shuffleSeed, signedUpTo) => {
          const signed = 1 + (signedUpTo % entries.length);
          const copies = forgeries.map(
            (f, i) => ({ ...f, device: DEV, seq: 1 + ((i * 7 + shuffleSeed) % (signed + 2)) }) as Entry,
          );
          const all = [...entries, ...copies].filter(
            (e, i, xs) => xs.findIndex((x) => entryLine(x) === entryLine(e)) === i,
          );
          // A seeded shuffle.
          let s = shuffleSeed;
          const order = all
            .map((e) => ({ e, k: (s = (s * 1103515245 + 12345) >>> 0) }))
            .sort((a, b) => a.k - b.k)
            .map((x) => x.e);
          const gate = new Gate(NET);
          const head = { seq: signed, hash: headHash(chainOf(entries.slice(0, signed))) };
          const released: Entry[] = [];
          let at = 0;
          for (const split of splits) {
            const part = order.slice(at, at + (split % (order.length + 1)));
            at += part.length;
            const r = gate.step({
              entries: part,
              heads: new Map([[DEV, head]]),
              members: approved(),
              membersChanged: false,
            });
            gate.adopt(r);
            released.push(...r.release);
          }
          const r = gate.step({
            entries: order.slice(at),
            heads: new Map([[DEV, head]]),
            members: approved(),
            membersChanged: false,
          });
          gate.adopt(r);
          released.push(...r.release);
          // Exactly the signed prefix, less what the rules refuse (a count past the limits).
          const member = approved().members.get(DEV)!;
          const expected = entries.slice(0, signed).filter((e) => verdict(e, member) === null);
          expect(released.map(entryLine).sort()).toEqual(expected.map(entryLine).sort());
        },
      ),
      fcOptions(0.5),
    );
  });
});

describe('the chain as docs/trust.md defines it', () => {
  /** A reference written from the formula: c(-1) = H(start), c(j) = H(c(j-1) || 64 lines), head(n). */
  const reference = (network: string, device: string, lines: readonly string[]): string => {
    const h = (...parts: string[]) => {
      const hash = createHash('sha256');
      for (const p of parts) hash.update(p);
      return hash.digest('base64url');
    };
    let block = h(`larder chain v1|${network}|${device}`);
    const full = Math.floor(lines.length / BLOCK);
    for (let j = 0; j < full; j++) block = h(block, lines.slice(j * BLOCK, (j + 1) * BLOCK).join(''));
    const rest = lines.slice(full * BLOCK);
    return lines.length > 0 && rest.length === 0 ? block : h(block, rest.join(''));
  };

  it('gives the head the formula gives, at every length across three blocks, save by save or at once', () => {
    const entries = Array.from(
      { length: 3 * BLOCK + 5 },
      (_, i) =>
        ({
          kind: 'donation',
          hub: 'hub1',
          device: DEV,
          seq: i + 1,
          item: 'item',
          at: Date.UTC(2025, 0, 1),
          recordedAt: Date.UTC(2025, 0, 1),
          qty: i + 1,
          source: 'individual',
        }) as Entry,
    );
    const lines = entries.map(entryLine);
    let chain = chainStart(NET, DEV);
    expect(chain.seq).toBe(0);
    expect(chain.partial).toEqual([]);
    expect(headHash(chain)).toBe(reference(NET, DEV, []));
    for (let n = 1; n <= lines.length; n++) {
      const saved = nextHead(NET, DEV, chain, [entries[n - 1]!]);
      chain = saved.chain;
      expect(chain.seq).toBe(n);
      expect(chain.partial).toHaveLength(n % BLOCK);
      expect(saved.hash).toBe(reference(NET, DEV, lines.slice(0, n)));
      expect(saved.message).toBe(`larder head v1|${NET}|${DEV}|${n}|${saved.hash}`);
    }
    const once = nextHead(NET, DEV, chainStart(NET, DEV), entries);
    expect(once.chain).toEqual(chain);
    expect(headMessage('n', 'd', 3, 'h')).toBe('larder head v1|n|d|3|h');
  });
});
