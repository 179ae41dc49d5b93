import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { Projector } from '../../../shared/projection';
import { headHash } from '../../../shared/trust/chain';
import type { DeviceGate } from '../../../shared/trust/gate';
import { CheckpointError, checkpointBody, coversFromGate } from '../../../shared/checkpoint/make';
import { chainOf, member, stateOf, T0 } from '../trust/fixtures';

/**
 * Which devices a checkpoint made now can cover, from the gate's states, and the body's own check: quick
 * tests of make.ts without keys (verify.test.ts makes and verifies checkpoints between real devices).
 */
const NET = 'net0make';
const SIG = 'S'.repeat(86);

const donation = (device: string, seq: number): Entry => ({
  kind: 'donation',
  hub: 'hub1',
  device,
  seq,
  item: 'rice',
  at: T0 + seq * 1000,
  recordedAt: T0 + seq * 1000,
  qty: seq,
  source: 'individual',
});
const historyOf = (device: string, n: number) => Array.from({ length: n }, (_, i) => donation(device, i + 1));

/** A device's gate state with every verified entry decided, as the gate leaves it. */
function settled(device: string, n: number, extra: Partial<DeviceGate> = {}): DeviceGate {
  return {
    device,
    chain: chainOf(NET, device, historyOf(device, n)),
    decided: n,
    held: [],
    pending: [],
    judgedAs: 'hub|hub1',
    ...extra,
  };
}
const hashAt = (device: string, n: number) => headHash(chainOf(NET, device, historyOf(device, n)));
const members = (...revoked: [string, number, string | null][]) =>
  stateOf(NET, [
    member('deva0001', 'hub', 'hub1'),
    ...revoked.map(([device, cut, hash]) =>
      member(device, 'hub', 'hub1', { cut, hash, by: 'deva0001', at: T0 }),
    ),
  ]);

describe('the positions a checkpoint can cover', () => {
  it('a device at its signed head, with what the gate judged it as', () => {
    const heads = new Map([['deva0001', [70, hashAt('deva0001', 70), SIG] as const]]);
    const { covers, waiting } = coversFromGate([settled('deva0001', 70)], heads, members());
    expect(waiting).toEqual([]);
    const chain = chainOf(NET, 'deva0001', historyOf('deva0001', 70));
    expect(covers).toEqual([
      {
        device: 'deva0001',
        seq: 70,
        block: chain.block,
        partial: chain.partial,
        judgedAs: 'hub|hub1',
        proof: { kind: 'head', sig: SIG },
      },
    ]);
    // A gate state from before judgedAs was kept is covered as judged by nothing.
    const { judgedAs: _, ...older } = settled('deva0001', 70);
    expect(coversFromGate([older], heads, members()).covers[0]!.judgedAs).toBe('');
  });

  it('a device that is not in the member list, at its signed head', () => {
    const heads = new Map([['devz0001', [3, hashAt('devz0001', 3), SIG] as const]]);
    expect(coversFromGate([settled('devz0001', 3)], heads, members()).covers).toMatchObject([
      { device: 'devz0001', seq: 3, proof: { kind: 'head' } },
    ]);
  });

  it('a revoked device at exactly its cut, with the cut as proof', () => {
    const state = members(['devr0001', 5, hashAt('devr0001', 5)]);
    const { covers, waiting } = coversFromGate([settled('devr0001', 5)], new Map(), state);
    expect(waiting).toEqual([]);
    expect(covers).toMatchObject([{ device: 'devr0001', seq: 5, proof: { kind: 'cut' } }]);
    expect(covers[0]!.proof).toEqual({ kind: 'cut' });
  });

  it('waits for a device whose position no head or cut proves', () => {
    const d = settled('devr0001', 5);
    const cases: [Map<string, readonly [number, string, string]>, ReturnType<typeof members>][] = [
      // A head at another position, or at this one with another hash.
      [new Map([['devr0001', [6, hashAt('devr0001', 6), SIG] as const]]), members()],
      [new Map([['devr0001', [5, hashAt('devr0001', 4), SIG] as const]]), members()],
      // A cut at another position, or at this one with another hash.
      [new Map(), members(['devr0001', 4, hashAt('devr0001', 4)])],
      [new Map(), members(['devr0001', 5, hashAt('devr0001', 4)])],
    ];
    for (const [heads, state] of cases)
      expect(coversFromGate([d], heads, state)).toEqual({ covers: [], waiting: ['devr0001'] });
  });

  it('waits for a device with verified entries not yet decided, or held', () => {
    const heads = new Map([['deva0001', [7, hashAt('deva0001', 7), SIG] as const]]);
    for (const d of [
      settled('deva0001', 7, { decided: 5 }),
      settled('deva0001', 7, { held: [donation('deva0001', 7)] }),
    ])
      expect(coversFromGate([d], heads, members())).toEqual({ covers: [], waiting: ['deva0001'] });
    // Nothing decided at all: left out, neither covered nor waited for.
    expect(coversFromGate([settled('deva0001', 7, { decided: 0 })], heads, members())).toEqual({
      covers: [],
      waiting: [],
    });
  });
});

describe('the body of a checkpoint', () => {
  const source = (entries: readonly Entry[], coverTo: number) => {
    const p = new Projector();
    for (const e of entries) p.apply(e);
    const chain = chainOf(NET, 'deva0001', historyOf('deva0001', coverTo));
    return {
      network: NET,
      by: 'deva0001',
      at: T0,
      covers: [
        {
          device: 'deva0001',
          seq: coverTo,
          block: chain.block,
          partial: chain.partial,
          judgedAs: 'hub|hub1',
          proof: { kind: 'cut' as const },
        },
      ],
      stock: p.allStock(),
      usage: p.allUsage(),
      ledger: p.allLedger(),
      settings: [],
    };
  };

  it('carries the projection as it is, and what each device counts', () => {
    const pickup: Entry = { ...donation('deva0001', 3), kind: 'pickup', qty: 1 } as Entry;
    const entries = [...historyOf('deva0001', 2), pickup];
    const s = source(entries, 3);
    const body = checkpointBody(s);
    expect(body.usage).toEqual(s.usage);
    expect(body.usage.length).toBeGreaterThan(0);
    expect(body.covers.map((c) => c.counted)).toEqual([3]);
  });

  it('refuses a counted entry beyond what its device signed, naming it', () => {
    const s = source(historyOf('deva0001', 4), 3);
    expect(() => checkpointBody(s)).toThrow(CheckpointError);
    expect(() => checkpointBody(s)).toThrow(
      'Entry deva0001.4 counts but is beyond what device deva0001 has signed; make the checkpoint once it is',
    );
    try {
      checkpointBody(s);
    } catch (error) {
      expect((error as Error).name).toBe('CheckpointError');
    }
  });
});
