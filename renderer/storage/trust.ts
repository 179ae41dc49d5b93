import { appendAll } from '../../shared/arrays';
import { inBatches } from '../../shared/pace';
import type * as Y from 'yjs';
import { headsOf, membersOf, writtenFor, type SetAside } from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { fingerprintOf, loadFastSha256 } from '../../shared/trust/crypto';
import { Gate, type GateResult, type VerifiedHead } from '../../shared/trust/gate';
import { verifyHeads } from '../../shared/trust/heads';
import { prehashBlocks } from '../../shared/trust/prehash';
import {
  evaluateMembers,
  memberStateDigest,
  withLentOps,
  type MemberState,
} from '../../shared/trust/members';
import { isLocalProblem, type LarderDB, type MemberRow } from './db';
import { readGates, writeGates } from './gateRows';
import {
  judgeSetting,
  keyStanding,
  memberStanding,
  writerStandings,
  writersChanged,
  type SettingMap,
  type SettingVerdict,
} from '../../shared/trust/settings';

/** What the trust layer decided for one batch: what counts, what is set aside, what to store. */
export interface TrustPlan {
  release: Entry[];
  problems: SetAside[];
  result: GateResult;
  /** The member list changed: its projection is rewritten. */
  members: MemberRow[] | null;
  /**
   * With `members`: the devices whose standing as writers changed (`writersChanged`), whose settings are
   * judged again; null for every setting (no earlier list to compare with, or a rebuild).
   */
  writers: ReadonlySet<string> | null;
  rebuild: boolean;
  /** Judged from no earlier state (a rebuild): nothing stored before is kept. */
  fresh: boolean;
  /** How many parts of candidates each device has once `write` commits (gateRows.ts). */
  parts?: Map<string, number>;
}

/**
 * The signed-network side of persistence: reads the member list and the signed heads from the doc,
 * verifies them (asynchronously, before the IndexedDB transaction, since WebCrypto is async), and runs
 * the gate (shared/trust/gate.ts) over the entries a batch brought. Everything it stores is a projection
 * of the doc, rebuilt with the rest.
 */
export class TrustLayer {
  private gate: Gate;
  private state: MemberState | null = null;
  private digest = '';
  /**
   * Each device's standing as a writer of settings in the member list on disk (`load`): what the settings
   * on disk were judged with, for the first plan after it to compare with (`writersChanged`).
   */
  private stored: Map<string, string> | null = null;
  private heads: Map<string, VerifiedHead> = new Map();
  /** How many parts of candidates each device has on disk (gateRows.ts). */
  private parts = new Map<string, number>();
  /**
   * The member log that came with the checkpoint this device started from (the `checkpointMembers` meta row),
   * while its doc lacks some of it: replayed with the doc's (`withLentOps`), it approves this device, and its
   * own entries count, seconds after the start rather than once the history arrives.
   */
  private lent: readonly unknown[] | null = null;
  /** The lent log was taken up or let go since the last plan: the member list is judged again. */
  private lentMoved = false;

  constructor(
    readonly network: string,
    private readonly doc: Y.Doc,
    /** Whose genesis founds the member list: the network id, or the admin who upgraded an older network. */
    readonly anchor: string = network,
  ) {
    this.gate = new Gate(network);
    // Chain hashes in WebAssembly as soon as it has loaded (in JavaScript until then, or where refused).
    void loadFastSha256();
  }

  async load(db: LarderDB): Promise<void> {
    // Before a long history is verified: loaded (or refused) first.
    await loadFastSha256();
    const { gates, parts } = await readGates(db);
    this.gate.load(gates);
    this.parts = parts;
    const lent = await db.meta.get('checkpointMembers');
    this.lend(lent?.key === 'checkpointMembers' ? lent.ops : null);
    const rows = await db.members.toArray();
    this.stored = new Map(
      rows.map((r) => [
        r.device,
        r.status === 'requested' ? keyStanding(r.key) : memberStanding(r.key, r.role, r.hub, r.revokedAt),
      ]),
    );
  }

  /** Takes up the member log a checkpoint came with, or (null) lets it go: the doc holds the history now. */
  lend(ops: readonly unknown[] | null): void {
    if (ops === this.lent) return;
    this.lent = ops;
    this.lentMoved = true;
  }

  /** The member log as this device replays it: the doc's (or `doc`'s), with the lent one's it lacks. */
  memberLog(doc: Y.Doc = this.doc): readonly unknown[] {
    return withLentOps(membersOf(doc).toArray(), this.lent);
  }

  get memberState(): MemberState | null {
    return this.state;
  }

  /**
   * The member list as the doc has it now: the last plan's, or (before any plan ran: the app just
   * opened with nothing new to project) evaluated from the doc, as the projection would.
   */
  async currentMembers(): Promise<MemberState> {
    return this.state ?? evaluateMembers(this.network, this.memberLog(), this.anchor);
  }

  /** The verified chain of a device as this device has it (for a revocation's cut-off). */
  chainOf(device: string) {
    return this.gate.devices.get(device)?.chain ?? null;
  }

  async plan(
    entries: readonly Entry[],
    changed: { members: boolean; heads: boolean },
    fresh = false,
  ): Promise<TrustPlan> {
    const problems: SetAside[] = [];
    let membersChanged = false;
    let memberRows: MemberRow[] | null = null;
    let writers: Set<string> | null = null;
    if (changed.members || !this.state || fresh || this.lentMoved) {
      this.lentMoved = false;
      const before = fresh ? null : this.state ? writerStandings(this.state) : this.stored;
      this.stored = null;
      const state = await evaluateMembers(this.network, this.memberLog(), this.anchor);
      const digest = memberStateDigest(state);
      membersChanged = digest !== this.digest || fresh;
      this.state = state;
      this.digest = digest;
      appendAll(problems, state.problems);
      memberRows = memberRowsOf(state);
      writers = before ? writersChanged(before, state) : null;
    }
    if (changed.heads || membersChanged || fresh) {
      const verified = await verifyHeads(this.network, headsOf(this.doc).entries(), this.state.keys);
      this.heads = verified.heads;
      appendAll(problems, verified.problems);
    }
    const gate = fresh ? new Gate(this.network) : this.gate;
    // Long histories (a new device, a rebuild): their blocks are hashed ahead with native SHA-256.
    const blocks = await prehashBlocks(gate, entries, this.heads);
    // A long history (a new device, a rebuild) in groups of devices, the page running between them.
    const result = await gate.stepInGroups({
      entries,
      heads: this.heads,
      members: this.state,
      membersChanged,
      blocks,
    });
    if (fresh) this.gate = gate;
    appendAll(problems, result.problems);
    return {
      release: result.release,
      problems,
      result,
      members: memberRows,
      writers,
      rebuild: result.rebuild,
      fresh,
    };
  }

  /**
   * Verdicts for settings: signed by their writer, who had the right (shared/trust/settings.ts). Keyed
   * `map/key`. Called before the IndexedDB transaction (signatures are checked asynchronously).
   */
  async settingVerdicts(keys: Iterable<[SettingMap, string]>): Promise<Map<string, SettingVerdict>> {
    const out = new Map<string, SettingVerdict>();
    const list = [...keys];
    // Most writes (every save, most peers' updates) change no setting: no index of the copies for them.
    if (list.length === 0) return out;
    const state = this.state ?? (await evaluateMembers(this.network, this.memberLog(), this.anchor));
    const written = writtenFor(this.doc, list);
    // In batches, other tasks let run between two: a history's settings (thousands of levels) started at
    // once were checked in one task (shared/pace.ts `inBatches`).
    await inBatches(list, async ([map, key]) => {
      const raw = this.doc.getMap<unknown>(map).get(key);
      const theirs = written(map, key);
      out.set(`${map}/${key}`, await judgeSetting(this.network, map, key, raw, theirs, state));
    });
    return out;
  }

  /** Called once the plan's writes are committed. */
  adopt(plan: TrustPlan): void {
    this.gate.adopt(plan.result);
    if (plan.fresh) this.parts = new Map();
    for (const [device, count] of plan.parts ?? []) this.parts.set(device, count);
  }

  /**
   * Stores what a plan changed: device chains and held entries, and the member list when judged again. In
   * a transaction that holds `db.gateTables`, `db.members` and `db.problems`.
   */
  async write(db: LarderDB, plan: TrustPlan): Promise<void> {
    plan.parts = await writeGates(db, plan.result, this.parts, plan.fresh);
    if (plan.members) {
      await db.members.clear();
      await db.members.bulkPut(plan.members);
      // The member list was judged again as a whole: its problems are replaced, not added to (a request
      // judged before the admin's operations arrived is judged again once they have). What this device
      // noticed itself (a rotation it could not read, a failed upgrade) is not the log's to replace.
      await db.problems
        .where('where')
        .startsWith('members/')
        .filter((row) => !isLocalProblem(row))
        .delete();
    }
  }
}

function memberRowsOf(state: MemberState): MemberRow[] {
  const rows: MemberRow[] = [];
  for (const m of state.members.values())
    rows.push({
      device: m.device,
      key: m.key,
      ...(m.box ? { box: m.box } : {}),
      fingerprint: m.key ? fingerprintOf(m.key) : '',
      name: m.name,
      hub: m.hub,
      status: m.revoked ? 'revoked' : 'member',
      role: m.role,
      approvedBy: m.approvedBy,
      approvedAt: m.approvedAt,
      ...(m.revoked ? { revokedAt: m.revoked.at, revokedBy: m.revoked.by, cut: m.revoked.cut } : {}),
      ...(m.legacy ? { legacy: true as const } : {}),
    });
  for (const r of state.requests.values())
    rows.push({
      device: r.device,
      key: r.key,
      ...(r.box ? { box: r.box } : {}),
      fingerprint: fingerprintOf(r.key),
      name: r.name,
      hub: r.hub,
      status: 'requested',
      role: 'requested',
      requestedAt: r.at,
      ...(r.hubName ? { requestedHubName: r.hubName } : {}),
    });
  return rows;
}
