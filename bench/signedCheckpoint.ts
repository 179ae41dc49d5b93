import { type SignedHead } from '../shared/doc';
import type { Entry } from '../shared/entries';
import type { Projector } from '../shared/projection';
import { chainStart, entryLine, extendChain, headHash, headMessage } from '../shared/trust/chain';
import { generateDeviceKeys, sign } from '../shared/trust/crypto';
import type { Member, MemberState } from '../shared/trust/members';
import { makeCheckpoint, type CoverPosition, type SignedCheckpoint } from '../shared/checkpoint/make';

/**
 * A signed checkpoint of a generated network's whole history (bench/generate.ts), as a coordinator of it
 * would make one: every device of the network gets a key pair, its chain and signed head; a coordinator
 * signs the checkpoint of `whole` (the network's entries folded). Also the member list a receiver verifies
 * it with. For bench:checkpoint and bench/checkpoint-start.ts.
 */
export async function signedCheckpointOf(
  network: string,
  entries: readonly Entry[],
  whole: Projector,
  random: (n: number) => Uint8Array,
): Promise<{ signed: SignedCheckpoint; state: MemberState; devices: number; makeMs: number }> {
  // Each device's chain and signed head, as the gate of the making device has them.
  const byDevice = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = byDevice.get(e.device);
    if (list) list.push(e);
    else byDevice.set(e.device, [e]);
  }
  const members = new Map<string, Member>();
  const covers: CoverPosition[] = [];
  const heads = new Map<string, SignedHead>();
  for (const [device, list] of byDevice) {
    list.sort((a, b) => a.seq - b.seq);
    const keys = await generateDeviceKeys(random);
    const hub = list[0]!.hub;
    members.set(device, {
      device,
      key: keys.publicKey,
      name: device,
      hub,
      role: 'hub',
      approvedBy: 'bench',
      approvedAt: 0,
    });
    const chain = extendChain(chainStart(network, device), list.map(entryLine));
    const hash = headHash(chain);
    const sig = await sign(keys.privateKey, headMessage(network, device, chain.seq, hash));
    heads.set(device, [chain.seq, hash, sig]);
    covers.push({
      device,
      seq: chain.seq,
      block: chain.block,
      partial: chain.partial,
      proof: { kind: 'head', sig },
      judgedAs: `hub|${hub}`,
    });
  }
  const coordKeys = await generateDeviceKeys(random);
  const coordinator = 'coordinator0';
  members.set(coordinator, {
    device: coordinator,
    key: coordKeys.publicKey,
    name: 'Coordinator',
    hub: null,
    role: 'coordinator',
    approvedBy: 'bench',
    approvedAt: 0,
  });
  const state: MemberState = {
    network,
    members,
    requests: new Map(),
    keys: new Map(),
    rotation: null,
    signed: new Map(),
    problems: [],
  };

  const started = performance.now();
  const signed = await makeCheckpoint(
    {
      network,
      by: coordinator,
      at: Date.now(),
      covers,
      stock: whole.allStock(),
      usage: whole.allUsage(),
      ledger: whole.allLedger(),
      settings: [],
    },
    coordKeys.privateKey,
  );
  return { signed, state, devices: byDevice.size, makeMs: performance.now() - started };
}
