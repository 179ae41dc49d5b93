import { appendAll } from '../arrays';
import { idOf, type Entry } from '../entries';
import type { SetAside } from '../doc';
import { MAX_QUANTITY } from '../quantity';
import {
  BLOCK,
  type BlockHashes,
  extendChain,
  extendChainWithEntries,
  entryLine,
  headHash,
  restartBase,
  type ChainState,
  chainStart,
  type Restart,
} from './chain';
import { mayWriteFor, type Member, type MemberState } from './members';
import { msg, type DomainMessage } from '../messages';
import { pacer, type PaceOptions } from '../pace';

/**
 * The gate between what the doc holds and what counts. Every replica runs it over the same data and
 * reaches the same verdicts, from signatures and rules, not from who holds the network key:
 *
 * - an entry counts only once it is covered by a head its device signed (or by the cut-off of an admin's
 *   revocation), at its position in that device's chain; sequence numbers follow each other, a gap waits;
 * - a second entry at a taken position (or with a taken id) is set aside and never hides the first;
 * - it counts only once its device is approved, and never after the device's revocation cut-off;
 * - a device writes only for its own hub (admins and coordinators for any); a count moves stock by at
 *   most the largest allowed quantity.
 *
 * Entries waiting for a signature or for an approval are held apart (and shown), not counted.
 *
 * A device that lost entries of its own declares a restart of its chain in its head (chain.ts): its later
 * entries verify from the restart, and the positions it lost stay open as a gap, filled (and counted)
 * when their entries arrive and match the head the device signed there.
 */
export interface DeviceGate {
  device: string;
  /** The verified prefix of the device's chain. */
  chain: ChainState;
  /** Entries up to this sequence number have a final verdict (counted or set aside). */
  decided: number;
  /** Entries verified (seq ≤ chain.seq) but not decided yet: the device is not approved. */
  held: Entry[];
  /** Entries beyond the verified chain, by sequence number: candidates waiting for a signed head. */
  pending: Entry[];
  /** Role and hub the decided entries were judged with; a change means a rebuild. */
  judgedAs?: string;
  /**
   * `judgedAs` is a checkpoint maker's (checkpoint/seed.ts), not yet this device's own: until the device's
   * approval is in the member list here, its absence from that list is no removal.
   */
  vouched?: true;
  /**
   * Positions before a restart that were missing here when the chain moved past them: each waits for
   * its entries, verified from `chain` (the state before them) up to the head `hash` at `to`.
   */
  gaps?: Gap[];
}

/** Positions `chain.seq + 1 .. to` of a device, verified once they are all here and end at `hash`. */
export interface Gap {
  chain: ChainState;
  to: number;
  hash: string;
}

export interface VerifiedHead {
  seq: number;
  hash: string;
  /** Where the device's chain started again, oldest first (signed with the head). */
  restarts?: readonly Restart[];
  /** The device's heads from before its restarts (fewer restarts each), oldest first. */
  earlier?: readonly VerifiedHead[];
}

export interface GateInput {
  entries: readonly Entry[];
  /** Heads whose signature by their device's key was verified. */
  heads: ReadonlyMap<string, VerifiedHead>;
  members: MemberState;
  /** The member state changed since the last step: every device is looked at again. */
  membersChanged: boolean;
  /** Block hashes computed ahead (prehash.ts); the gate checks they are for these very entries. */
  blocks?: BlockHashes;
  /**
   * Only these devices are looked at, and `entries` are theirs alone: one group of `stepInGroups`. Each
   * device's verdicts depend on its own entries, head, state and membership only.
   */
  only?: ReadonlySet<string>;
}

export interface GateResult {
  release: Entry[];
  problems: SetAside[];
  /** Device states that changed (to adopt after they are committed). */
  devices: Map<string, DeviceGate>;
  /**
   * For a device of `devices` whose candidates only grew: how many of them it had before, unchanged and
   * first (what arrived was added after them). Absent when its candidates changed otherwise (some were
   * taken by the chain or set aside). A history that arrives in pieces waits whole for the head that signs
   * its end: its store appends each piece's candidates, instead of writing them all again each time.
   */
  kept: Map<string, number>;
  /** Entries already counted no longer should be (a revocation behind them, a role change): rebuild. */
  rebuild: boolean;
}

/** How many combinations of conflicting copies are tried before a device's chain is reported stuck. */
const SEARCH_BUDGET = 256;
/**
 * Entries per step when a long history is stepped in groups of devices (`stepInGroups`): one step over a
 * million entries held the page 250-310 ms (bench:trust); a group of this many takes a few milliseconds.
 */
export const GROUP_ENTRIES = 16_384;
/**
 * Candidates kept per device beyond its verified chain, past the positions its verified head signs; more is
 * an attack, not a device. (Those under its head are its own history: a device that signed ten million
 * positions has ten million candidates to verify, all there at once in a rebuild.)
 */
export const MAX_PENDING = 1_000_000;

const where = (e: Entry) => `entry/${idOf(e)}`;

export class Gate {
  readonly devices = new Map<string, DeviceGate>();

  constructor(
    readonly network: string,
    /** MAX_PENDING (tests make it small). */
    private readonly maxPending = MAX_PENDING,
  ) {}

  /** Loads persisted device states (after a restart). */
  load(rows: Iterable<DeviceGate>): void {
    for (const row of rows) this.devices.set(row.device, row);
  }

  private fresh(device: string): DeviceGate {
    return { device, chain: chainStart(this.network, device), decided: 0, held: [], pending: [] };
  }

  /** Computes verdicts without changing the gate; `adopt` the result once it is committed. */
  step(input: GateInput): GateResult {
    return this.stepFrom(input, this.devices);
  }

  /** `step` from the device states `base` instead of the gate's own (a long device's parts). */
  private stepFrom(input: GateInput, base: ReadonlyMap<string, DeviceGate>): GateResult {
    const result: GateResult = {
      release: [],
      problems: [],
      devices: new Map(),
      kept: new Map(),
      rebuild: false,
    };
    /** Each device's candidates as copied, with how many it had: still this array, they only grew. */
    const copies = new Map<string, [Entry[], number]>();
    const work = (device: string): DeviceGate => {
      let d = result.devices.get(device);
      if (!d) {
        const current = base.get(device) ?? this.fresh(device);
        d = { ...current, held: [...current.held], pending: [...current.pending] };
        copies.set(device, [d.pending, current.pending.length]);
        result.devices.set(device, d);
      }
      return d;
    };
    for (const e of input.entries) {
      const d = work(e.device);
      if (e.seq <= d.chain.seq && !inGap(d, e.seq)) {
        result.problems.push({
          where: where(e),
          reason: msg('gate.positionTaken', { seq: e.seq, device: e.device }),
        });
        continue;
      }
      const signed = Math.max(0, (input.heads.get(e.device)?.seq ?? 0) - d.chain.seq);
      if (d.pending.length >= this.maxPending + signed) {
        result.problems.push({ where: where(e), reason: msg('gate.tooManyUnsigned') });
        continue;
      }
      d.pending.push(e);
    }
    const look = new Set<string>([...result.devices.keys(), ...input.heads.keys()]);
    if (input.membersChanged) for (const device of base.keys()) look.add(device);
    if (input.membersChanged) for (const device of input.members.members.keys()) look.add(device);
    for (const device of [...look].sort()) {
      if (input.only && !input.only.has(device)) continue;
      const before = base.get(device);
      const head = input.heads.get(device);
      const member = input.members.members.get(device);
      // Stryker disable next-line OptionalChaining: only reached for a device taken from the member list (the others have a state, new entries or a head)
      if (!before && !result.devices.has(device) && !head && !member?.revoked) continue;
      const d = work(device);
      const revoked = member?.revoked;
      // Restarts first: positions after one (a revocation's cut-off among them) chain from its base.
      if (head?.restarts) this.restart(d, head, result);
      // An admin's revocation names the chain hash at its cut-off: it verifies up to there on its own.
      if (revoked && revoked.hash && revoked.cut > d.chain.seq)
        this.advance(d, revoked.cut, revoked.hash, result, input.blocks);
      if (head) {
        if (head.seq > d.chain.seq) this.advance(d, head.seq, head.hash, result, input.blocks);
        else if (head.seq === d.chain.seq && head.seq > 0 && headHash(d.chain) !== head.hash)
          result.problems.push({
            where: `device/${device}`,
            reason: msg('gate.forked', { device }),
          });
      }
      this.fillGaps(d, result);
      this.decide(d, member, result);
      if (result.devices.get(device) && before && sameDevice(before, d)) result.devices.delete(device);
    }
    for (const [device, d] of result.devices) {
      const [copy, had] = copies.get(device)!;
      if (d.pending === copy) result.kept.set(device, had);
    }
    return result;
  }

  /**
   * `step`, for a long history: its devices in groups of about `groupEntries` entries, each group a step of
   * its own, the page let run between them. Devices are judged each on its own, so the result is the one
   * `step` gives: the same entries released in the same order (devices in id order), the same device
   * states, the same problems (grouped by device rather than all entries' first), the same call for a
   * rebuild. Changes nothing, as `step`.
   *
   * A device with more candidates than a group holds (a new device's first sync of a hub's year, or a head
   * arriving after a history that came in pieces) is stepped in parts of its own (`longDevice`) when its
   * candidates are the plain case, the next positions in order up to its signed head; otherwise it is one
   * group, as any device.
   */
  async stepInGroups(
    input: GateInput,
    options: PaceOptions & { groupEntries?: number } = {},
  ): Promise<GateResult> {
    const most = options.groupEntries ?? GROUP_ENTRIES;
    if (input.only) return this.step(input);
    // A head that signs a long history held here (it came in pieces) is a long step too.
    const waiting = (device: string) =>
      (this.devices.get(device)?.pending.length ?? 0) > most - input.entries.length;
    if (input.entries.length <= most && ![...input.heads.keys()].some(waiting)) return this.step(input);
    const breathe = pacer(options);
    const byDevice = new Map<string, Entry[]>();
    for (let i = 0; i < input.entries.length; i++) {
      const e = input.entries[i]!;
      const list = byDevice.get(e.device);
      if (list) list.push(e);
      else byDevice.set(e.device, [e]);
      if ((i & 0x3fff) === 0x3fff) await breathe();
    }
    // Every device `step` would look at.
    const devices = new Set<string>([...byDevice.keys(), ...input.heads.keys()]);
    if (input.membersChanged) {
      for (const device of this.devices.keys()) devices.add(device);
      for (const device of input.members.members.keys()) devices.add(device);
    }
    const total: GateResult = {
      release: [],
      problems: [],
      devices: new Map(),
      kept: new Map(),
      rebuild: false,
    };
    const add = (r: GateResult) => {
      appendAll(total.release, r.release);
      appendAll(total.problems, r.problems);
      for (const [device, d] of r.devices) total.devices.set(device, d);
      for (const [device, had] of r.kept) total.kept.set(device, had);
      if (r.rebuild) total.rebuild = true;
    };
    let group = new Set<string>();
    let lists: Entry[][] = [];
    let count = 0;
    const stepGroup = async () => {
      const entries = lists.length === 1 ? lists[0]! : ([] as Entry[]).concat(...lists);
      add(this.step({ ...input, entries, only: group }));
      group = new Set();
      lists = [];
      count = 0;
      await breathe();
    };
    for (const device of [...devices].sort()) {
      const own = byDevice.get(device);
      const long = await this.longDevice(input, device, own ?? [], most, breathe);
      if (long) {
        if (group.size > 0) await stepGroup();
        let base: ReadonlyMap<string, DeviceGate> = new Map([[device, long.from]]);
        for (const part of long.parts) {
          const r = this.stepFrom({ ...input, ...part, only: new Set([device]) }, base);
          add(r);
          base = r.devices;
          await breathe();
        }
        continue;
      }
      if (group.size > 0 && count + (own?.length ?? 0) > most) await stepGroup();
      group.add(device);
      if (own) {
        lists.push(own);
        count += own.length;
      }
    }
    if (group.size > 0) await stepGroup();
    return total;
  }

  /**
   * A device too long for one step, in the plain case, as steps of about `most` entries each: its
   * candidates (those held here, then those arriving) are exactly the next positions in order up to its
   * signed head, and it is approved and not revoked. Its chain is first verified to the head here, a slice
   * at a time; only then is each part a step with a head at the part's end, whose hash this very chain
   * makes. What each part releases is verified by the device's signature, as one step
   * would have it; where the chain does not end at the signed hash, null, and the device is one step as any
   * other (which reports it). Null too for any other case.
   */
  private async longDevice(
    input: GateInput,
    device: string,
    own: readonly Entry[],
    most: number,
    breathe: () => Promise<void>,
  ): Promise<{ from: DeviceGate; parts: Pick<GateInput, 'entries' | 'heads'>[] } | null> {
    const head = input.heads.get(device);
    const before = this.devices.get(device);
    const pending = before?.pending ?? [];
    if (pending.length + own.length <= most) return null;
    if (!head) return null;
    // A chain that restarts ahead is verified from the restart's base, not from here: the hash below would
    // not match. Left to one step, without the pass.
    // Stryker disable next-line ConditionalExpression,OptionalChaining: see above
    if (head.restarts?.length) return null;
    const member = input.members.members.get(device);
    if (!member || member.revoked) return null;
    let chain = before?.chain ?? chainStart(this.network, device);
    // Only a shortcut (other candidates than the positions up to the head make another hash), but a needed
    // one: a history arriving in pieces before its head would otherwise be hashed again at each piece.
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: see above
    if (pending.length + own.length !== head.seq - chain.seq) return null;
    // The candidates held here come again in the parts, from a state that holds none.
    const run = pending.length === 0 ? own : pending.concat(own);
    const from: DeviceGate = { ...(before ?? this.fresh(device)), pending: [] };
    const parts: Pick<GateInput, 'entries' | 'heads'>[] = [];
    for (let at = 0; at < run.length;) {
      // Parts end on the chain's block boundaries where they can, so that each finds its blocks hashed ahead.
      // Stryker disable next-line ArithmeticOperator: only saves time (a part's first lines hashed one by one)
      const aligned = most - ((chain.partial.length + most) % BLOCK);
      const end = Math.min(run.length, at + (aligned > 0 ? aligned : most));
      const entries = run.slice(at, end);
      chain = extendChainWithEntries(chain, entries, input.blocks);
      parts.push({ entries, heads: new Map([[device, { seq: chain.seq, hash: headHash(chain) }]]) });
      at = end;
      await breathe();
    }
    if (headHash(chain) !== head.hash) return null;
    return { from, parts };
  }

  adopt(result: GateResult): void {
    for (const [device, d] of result.devices) this.devices.set(device, d);
  }

  /**
   * Moves the chain past each restart: verified up to it if its entries are here (then it continues from
   * the restart's base), or else past a gap that waits for them. A restart it is already past is done.
   */
  private restart(d: DeviceGate, head: VerifiedHead, result: GateResult): void {
    // Stryker disable next-line ArrayDeclaration: restart() is only called for a head with restarts
    const restarts = head.restarts ?? [];
    for (const [i, [seq, hash]] of restarts.entries()) {
      // Heads signed before this restart (and after the one before) verify what they cover first.
      // Stryker disable next-line ArrayDeclaration: a text in the list has no restarts and no position, so it is passed over
      for (const h of head.earlier ?? [])
        if ((h.restarts?.length ?? 0) === i && h.seq > d.chain.seq && h.seq <= seq)
          this.advance(d, h.seq, h.hash, result);
      if (seq < d.chain.seq) continue;
      if (seq > d.chain.seq) this.advance(d, seq, hash, result);
      if (seq > d.chain.seq) {
        // What is missing here waits as a gap; the chain goes on from the restart.
        d.gaps = [...(d.gaps ?? []), { chain: d.chain, to: seq, hash }];
        d.chain = restartBase(seq, hash);
      } else if (headHash(d.chain) === hash) {
        // Verified up to the restart (now or earlier): the chain goes on from its base. A chain that
        // does not end at the restart's hash is left as it is, and the device's later entries never
        // verify against it (they are reported as not matching what it signed).
        d.chain = restartBase(seq, hash);
      }
    }
  }

  /** Verifies each gap whose entries have all arrived; its entries then wait for their verdict. */
  private fillGaps(d: DeviceGate, result: GateResult): void {
    if (!d.gaps?.length) return;
    const open: Gap[] = [];
    for (const gap of d.gaps) {
      const within = (e: Entry) => e.seq > gap.chain.seq && e.seq <= gap.to;
      const part: DeviceGate = {
        ...d,
        chain: gap.chain,
        held: [],
        pending: d.pending.filter(within),
        gaps: [],
      };
      this.advance(part, gap.to, gap.hash, result);
      if (part.chain.seq === gap.to) {
        appendAll(d.held, part.held);
        d.pending = d.pending.filter((e) => !within(e));
      } else {
        open.push(gap);
      }
    }
    if (open.length > 0) d.gaps = open;
    else delete d.gaps;
  }

  /** Extends the verified chain to `seq`, if the pending candidates can make `hash` there. */
  private advance(d: DeviceGate, seq: number, hash: string, result: GateResult, blocks?: BlockHashes): void {
    // Fewer candidates than positions: a gap (the usual wait for a history arriving in pieces, each piece
    // a step: looking through all it holds each time would make the wait grow with its square).
    // Stryker disable next-line ConditionalExpression: only saves time; the map below finds the same gap
    if (d.pending.length < seq - d.chain.seq) return;
    // Stryker disable next-line ConditionalExpression: the in-order shortcut only saves time; the general path below reaches the same state
    if (this.advanceInOrder(d, seq, hash, blocks)) return;
    const bySeq = new Map<number, Entry[]>();
    for (const e of d.pending) {
      // Stryker disable next-line ConditionalExpression: positions past `seq` are never read from the map
      if (e.seq > seq) continue;
      const list = bySeq.get(e.seq);
      if (list) list.push(e);
      else bySeq.set(e.seq, [e]);
    }
    const slots: Entry[][] = [];
    for (let s = d.chain.seq + 1; s <= seq; s++) {
      const list = bySeq.get(s);
      if (!list) return; // a gap: wait for what is missing
      slots.push(list);
    }
    const chosen = findChain(d.chain, slots, hash, blocks);
    if (!chosen) {
      if (slots.every((l) => l.length === 1))
        result.problems.push({
          where: `device/${d.device}`,
          reason: msg('gate.notSigned', { device: d.device, seq }),
        });
      else if (slots.reduce((n, l) => n * l.length, 1) > SEARCH_BUDGET)
        result.problems.push({
          where: `device/${d.device}`,
          reason: msg('gate.tooManyCopies', { device: d.device }),
        });
      return;
    }
    d.chain = chosen.chain;
    const picked = new Set(chosen.entries);
    appendAll(d.held, chosen.entries);
    const rest: Entry[] = [];
    for (const e of d.pending) {
      if (e.seq > seq || inGap(d, e.seq)) rest.push(e);
      else if (!picked.has(e))
        result.problems.push({
          where: where(e),
          reason: msg('gate.positionTaken', { seq: e.seq, device: e.device }),
        });
    }
    d.pending = rest;
  }

  /**
   * The usual case, without building a map of positions: the candidates up to `seq` are exactly the next
   * positions in order, one each (a device's ledger as it arrives), and they make `hash`. Then it decides
   * as `advance` would; otherwise it changes nothing and leaves everything to it.
   */
  // Stryker disable next-line BlockStatement: declining leaves everything to `advance`, which reaches the same state
  private advanceInOrder(d: DeviceGate, seq: number, hash: string, blocks?: BlockHashes): boolean {
    // The checks below only decide whether the shortcut is taken: a wrong candidate, order or count gives
    // another hash than the signed one (and the shortcut declines), a missing position a gap `advance` finds too.
    // Stryker disable next-line ArithmeticOperator: see above
    const count = seq - d.chain.seq;
    const pending = d.pending;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,BooleanLiteral: see above (fewer candidates than positions: a gap, and nothing changes either way)
    if (pending.length < count) return false;
    // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: see above
    for (let k = 0; k < count; k++) if (pending[k]!.seq !== d.chain.seq + 1 + k) return false;
    // Stryker disable next-line ConditionalExpression,UpdateOperator: see above
    for (let k = count; k < pending.length; k++) if (pending[k]!.seq <= seq) return false;
    // Stryker disable next-line MethodExpression: see above (candidates past `seq` change the hash)
    const entries = pending.slice(0, count);
    const chain = extendChainWithEntries(d.chain, entries, blocks);
    // Not what the device signed: `advance` finds so again and says it.
    // Stryker disable next-line ConditionalExpression: always declining leaves everything to `advance`, which reaches the same state
    if (headHash(chain) !== hash) return false;
    d.chain = chain;
    appendAll(d.held, entries);
    d.pending = pending.slice(count);
    // Stryker disable next-line BooleanLiteral: `advance` then finds no position left to verify, and changes nothing
    return true;
  }

  private decide(d: DeviceGate, member: Member | undefined, result: GateResult): void {
    if (member?.revoked && d.decided > member.revoked.cut) result.rebuild = true;
    // Stryker disable next-line StringLiteral: judgedAs is only compared with itself, a hub is never that text
    const judgedAs = member ? `${member.role}|${member.hub ?? ''}` : undefined;
    // Judged by the checkpoint this device started from, and its approval not here yet: nothing was
    // counted on this device's own judgment, so there is nothing to take back; wait for the approval.
    if (!member && d.vouched) return;
    // A member no longer (strong removal left out its approval) was judged too: what counted must not.
    if (d.judgedAs !== undefined && d.judgedAs !== judgedAs && d.decided > 0) result.rebuild = true;
    if (!member) return;
    d.judgedAs = judgedAs;
    delete d.vouched;
    for (const e of d.held) {
      const reason = verdict(e, member);
      if (reason) result.problems.push({ where: where(e), reason });
      else result.release.push(e);
    }
    if (d.held.length > 0) d.decided = Math.max(d.decided, d.held[d.held.length - 1]!.seq);
    d.held = [];
    if (member.revoked) {
      for (const e of d.pending)
        if (e.seq > member.revoked.cut)
          result.problems.push({ where: where(e), reason: afterCut(e, member) });
      d.pending = d.pending.filter((e) => e.seq <= member.revoked!.cut);
    }
  }
}

/** Why a verified entry of an approved member does not count, or null when it does. */
export function verdict(e: Entry, member: Member): DomainMessage | null {
  if (member.revoked && e.seq > member.revoked.cut) return afterCut(e, member);
  // A device from before signing wrote for whichever hub; its history counts as the upgrading admin signed it.
  if (!member.legacy && !mayWriteFor(member, e.hub))
    return msg('gate.otherHub', { device: e.device, hub: e.hub });
  // Stryker disable next-line ConditionalExpression: for any other kind the difference is NaN, never above the bound
  if (e.kind === 'count' && Math.abs(e.counted - e.seen) > MAX_QUANTITY)
    return msg('gate.countTooLarge', { max: MAX_QUANTITY });
  return null;
}

function afterCut(e: Entry, member: Member): DomainMessage {
  return member.legacy
    ? msg('gate.unsignedAfterUpgrade', { device: e.device })
    : msg('gate.afterRevocation', { device: e.device });
}

function sameDevice(a: DeviceGate, b: DeviceGate): boolean {
  // Each of these changes only together with another compared here: a chain that moves changes its block or
  // its partial block, entries decided leave `held` or come with the chain.
  return (
    // Stryker disable next-line ConditionalExpression,LogicalOperator: see above
    a.chain.seq === b.chain.seq &&
    // Stryker disable next-line ConditionalExpression: see above
    a.decided === b.decided &&
    // Stryker disable next-line ConditionalExpression: see above
    a.held.length === b.held.length &&
    a.pending.length === b.pending.length &&
    a.judgedAs === b.judgedAs &&
    a.vouched === b.vouched &&
    // Stryker disable next-line ConditionalExpression: see above
    a.chain.block === b.chain.block &&
    // Stryker disable next-line ConditionalExpression: see above
    a.chain.partial.length === b.chain.partial.length &&
    (a.gaps?.length ?? 0) === (b.gaps?.length ?? 0)
  );
}

/** Whether `seq` is a position of the device that waits in a gap (before a restart). */
function inGap(d: DeviceGate, seq: number): boolean {
  return !!d.gaps?.some((g) => seq > g.chain.seq && seq <= g.to);
}

/**
 * The one choice of candidates, one per position, whose chain ends at `hash`. Positions with a single
 * candidate are hashed once; conflicting copies are tried in turn, within a budget.
 */
function findChain(
  start: ChainState,
  slots: readonly Entry[][],
  hash: string,
  blocks: BlockHashes | undefined,
): { chain: ChainState; entries: Entry[] } | null {
  // The shortcut for no conflicting copies: the search below, with one combination, gives the same chain.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: see above
  const firstConflict = slots.findIndex((l) => l.length > 1);
  // Stryker disable next-line ConditionalExpression,BlockStatement: see above
  if (firstConflict === -1) {
    const entries = slots.map((l) => l[0]!);
    const chain = extendChainWithEntries(start, entries, blocks);
    return headHash(chain) === hash ? { chain, entries } : null;
  }
  const prefix = extendChainWithEntries(
    start,
    slots.slice(0, firstConflict).map((l) => l[0]!),
    blocks,
  );
  const rest = slots.slice(firstConflict);
  const restLines = rest.map((list) => list.map(entryLine));
  const choice = rest.map(() => 0);
  for (let tries = 0; tries < SEARCH_BUDGET; tries++) {
    const chain = extendChain(
      prefix,
      restLines.map((l, i) => l[choice[i]!]!),
    );
    if (headHash(chain) === hash)
      return {
        chain,
        entries: [...slots.slice(0, firstConflict).map((l) => l[0]!), ...rest.map((l, i) => l[choice[i]!]!)],
      };
    // Next combination (odometer).
    let i = rest.length - 1;
    // Stryker disable next-line EqualityOperator: at the end of the search only; its further tries match nothing, and the budget ends it with the same null
    while (i >= 0 && choice[i]! + 1 >= rest[i]!.length) choice[i--] = 0;
    // Stryker disable next-line ConditionalExpression: the same (the search starts over, matching nothing, until the budget)
    if (i < 0) return null;
    choice[i]! += 1;
  }
  return null;
}
