import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { BLOCK, blockHash, chainStart, entryLine, extendChain } from '../../../shared/trust/chain';
import { Gate, type VerifiedHead } from '../../../shared/trust/gate';
import { prehashBlocks } from '../../../shared/trust/prehash';
import { headOf, member, stateOf, T0 } from './fixtures';

/**
 * Which blocks a pass (shared/trust/prehash.ts) hashes ahead. prehash.test.ts shows the gate's verdicts
 * never depend on them; these say the gate finds ready what it would otherwise hash inside its batch.
 * Kept apart so mutation testing can run these quick tests without the property's long runs.
 */
const NET = 'net0prehash';
const DEVICES = ['deva0000', 'devb0000', 'devc0000'] as const;

const pickup = (device: string, seq: number, qty = 1 + (seq % 7)): Entry => ({
  kind: 'pickup',
  hub: 'hub1',
  device,
  seq,
  item: `item${seq % 5}`,
  at: T0 + seq * 1000,
  recordedAt: T0 + seq * 1000,
  qty,
});

const members = () =>
  stateOf(
    NET,
    DEVICES.map((d) => member(d, 'coordinator', null)),
  );

/**
 * The blocks a pass hashes ahead: what the gate would hash itself, no more. Each is looked up the way the
 * gate looks it up (after the chain hash before it, for these very entry objects) and must hold its true
 * hash; a block the pass missed, or one keyed wrong, the gate hashes inside its batch.
 */
function expectBlocksOf(
  blocks: Awaited<ReturnType<typeof prehashBlocks>>,
  device: string,
  ledger: readonly Entry[],
  from: number,
  count: number,
) {
  expect(blocks.size).toBe(count);
  let state = extendChain(chainStart(NET, device), ledger.slice(0, from).map(entryLine));
  for (let k = 0; k < count; k++) {
    const at = from + k * BLOCK;
    expect(blocks.get(state.block, ledger, at)).toBe(blockHash(state.block, ledger, at));
    state = extendChain(state, ledger.slice(at, at + BLOCK).map(entryLine));
  }
}

describe('which blocks are hashed ahead', () => {
  const ledgerOf = (device: string, n: number) => Array.from({ length: n }, (_, k) => pickup(device, k + 1));
  const headsOf = (...signed: [string, Entry[]][]) =>
    new Map(signed.map(([device, ledger]) => [device, headOf(NET, device, ledger)]));

  it('every full block up to the signed head, from the start of a new chain', async () => {
    const ledger = ledgerOf(DEVICES[0], 11 * BLOCK + 30);
    const blocks = await prehashBlocks(new Gate(NET), ledger, headsOf([DEVICES[0], ledger]));
    expectBlocksOf(blocks, DEVICES[0], ledger, 0, 11);
  });

  it('after a partly filled block the gate verified, from the next block boundary', async () => {
    const ledger = ledgerOf(DEVICES[1], 12 * BLOCK);
    const gate = new Gate(NET);
    const first = ledger.slice(0, 10);
    gate.adopt(
      gate.step({
        entries: first,
        heads: headsOf([DEVICES[1], first]),
        members: members(),
        membersChanged: true,
      }),
    );
    expect(gate.devices.get(DEVICES[1])?.chain.seq).toBe(10);
    const rest = ledger.slice(10);
    const blocks = await prehashBlocks(gate, rest, headsOf([DEVICES[1], ledger]));
    // The first block is completed by the gate from the 54 entries after its 10; the 11 after it are ahead.
    expectBlocksOf(blocks, DEVICES[1], ledger, BLOCK, 11);
    // Entries already waiting in the gate (past a head it had) count as candidates as well as arriving ones.
    const waiting = new Gate(NET);
    waiting.adopt(
      waiting.step({
        entries: ledger.slice(0, 9 * BLOCK),
        heads: headsOf([DEVICES[1], first]),
        members: members(),
        membersChanged: true,
      }),
    );
    const later = await prehashBlocks(waiting, ledger.slice(9 * BLOCK), headsOf([DEVICES[1], ledger]));
    expectBlocksOf(later, DEVICES[1], ledger, BLOCK, 11);
    // Entries past the signed head are left to the gate: 700 signed, so 9 blocks after the first.
    const signed = headsOf([DEVICES[1], ledger.slice(0, 11 * BLOCK - 4)]);
    expectBlocksOf(await prehashBlocks(gate, rest, signed), DEVICES[1], ledger, BLOCK, 9);
  });

  it('a device with exactly one block counts toward the eight that make a pass worth it', async () => {
    const seven = ledgerOf(DEVICES[0], 7 * BLOCK);
    const one = ledgerOf(DEVICES[2], BLOCK);
    const eight = await prehashBlocks(
      new Gate(NET),
      [...seven, ...one],
      headsOf([DEVICES[0], seven], [DEVICES[2], one]),
    );
    expect(eight.size).toBe(8);
    // Seven blocks in all: not worth a pass.
    const shortOne = one.slice(0, BLOCK - 1);
    expect(
      (
        await prehashBlocks(
          new Gate(NET),
          [...seven, ...shortOne],
          headsOf([DEVICES[0], seven], [DEVICES[2], shortOne]),
        )
      ).size,
    ).toBe(0);
  });

  it('nothing for a chain that restarted, nor past a second copy at one position', async () => {
    const ledger = ledgerOf(DEVICES[0], 10 * BLOCK);
    const restarted = new Map([
      [
        DEVICES[0],
        { ...headOf(NET, DEVICES[0], ledger), restarts: [[5, 'x'.repeat(43)]] } as unknown as VerifiedHead,
      ],
    ]);
    expect((await prehashBlocks(new Gate(NET), ledger, restarted)).size).toBe(0);
    const copy = { ...ledger[8 * BLOCK + 3]!, note: 'copy' } as Entry;
    const twice = await prehashBlocks(new Gate(NET), [...ledger, copy], headsOf([DEVICES[0], ledger]));
    expectBlocksOf(twice, DEVICES[0], ledger, 0, 8);
  });

  it('none while fewer entries are here than positions the head signs (the gate waits for them all)', async () => {
    const ledger = ledgerOf(DEVICES[0], 12 * BLOCK);
    const claims = headsOf([DEVICES[0], ledger]);
    // A history arriving in pieces: hashing each piece's run again would grow with its square.
    expect((await prehashBlocks(new Gate(NET), ledger.slice(0, 12 * BLOCK - 1), claims)).size).toBe(0);
    // Counted with those waiting at the gate: all here, all hashed.
    const gate = new Gate(NET);
    const start = { device: DEVICES[0], chain: chainStart(NET, DEVICES[0]), decided: 0, held: [] };
    gate.load([{ ...start, pending: ledger.slice(0, 5 * BLOCK) }]);
    const blocks = await prehashBlocks(gate, ledger.slice(5 * BLOCK), claims);
    expectBlocksOf(blocks, DEVICES[0], ledger, 0, 12);
  });

  it('lets other tasks run while it sorts many entries by device, not only while hashing', async () => {
    const n = 16_384;
    const ledger = ledgerOf(DEVICES[0], n);
    let pauses = 0;
    const blocks = await prehashBlocks(
      new Gate(NET),
      ledger,
      headsOf([DEVICES[0], ledger.slice(0, 8 * BLOCK)]),
      {
        sliceMs: 0,
        pause: async () => void pauses++,
      },
    );
    expect(blocks.size).toBe(8);
    // Once while sorting the 16,384 entries, once after the device's run, once after each block.
    expect(pauses).toBe(1 + 1 + 8);
  });
  it('never pauses within an endless slice', async () => {
    const ledger = ledgerOf(DEVICES[2], 10 * BLOCK);
    let pauses = 0;
    const blocks = await prehashBlocks(new Gate(NET), ledger, headsOf([DEVICES[2], ledger]), {
      sliceMs: Infinity,
      pause: async () => void pauses++,
    });
    expect(blocks.size).toBe(10);
    expect(pauses).toBe(0);
  });
});
