import { appendMemberOp, membersOf } from '../../../shared/doc';
import { fromBase64Url, toBase64Url } from '../../../shared/sync/encoding';
import { newNetworkKey } from '../../../shared/sync/keys';
import { headHash } from '../../../shared/trust/chain';
import {
  evaluateMembers,
  linkAfter,
  MAX_SEALED,
  nextLink,
  signOp,
  type MemberOp,
  type MemberState,
  type Role,
} from '../../../shared/trust/members';
import { sealTo } from '../../../shared/trust/seal';
import { withNewKey } from '../../../shared/trust/catchUp';
import type { SelfRow } from '../db';
import { refuse, type StoreContext } from './context';
import type { NetworkKeys } from './keys';

/**
 * The signed member log as this device writes to it: its own join request, and an admin's approvals,
 * revocations (with the key rotation that goes with them) and grants of the current key to members a
 * rotation left out.
 */
export class Members {
  constructor(
    private readonly ctx: StoreContext,
    private readonly keys: NetworkKeys,
  ) {}

  /** This device asks to join (self-signed), with the invite's pre-approval if it had one. */
  async requestToJoin(self: SelfRow, hub: string | null, now: number, hubName?: string): Promise<void> {
    const identity = this.ctx.requireIdentity();
    const op: MemberOp = {
      t: 'request',
      net: self.networkId,
      dev: self.deviceId,
      key: identity.publicKey,
      box: identity.boxKey,
      name: self.deviceName,
      hub,
      ...(hubName ? { hubName } : {}),
      role: self.role,
      at: now,
      ...(self.preApproval ? { pre: self.preApproval } : {}),
      ...(await this.nextLink(self)),
    };
    // Signed first: the staging doc is taken after every await (DocPersistence `lateChange`).
    const signed = await signOp(op, self.deviceId, identity.privateKey);
    appendMemberOp(this.ctx.persistence.staging(), signed);
  }

  /**
   * The member list as this device's next operation builds on it: the doc with the changes still in
   * flight (not the last projection's, which may not have seen this device's previous operation yet).
   */
  private async membersNow(self: SelfRow): Promise<MemberState> {
    // A staging doc built in slices first, if one is due, rather than in one task here (an approval right
    // after a peer's setting built it at once: at 30,000 signed levels, most of a second).
    const pending = this.ctx.persistence.stagingPending();
    if (pending) await pending;
    const staging = this.ctx.persistence.staging();
    // With the log this device's checkpoint came with, while its doc lacks some of it (TrustLayer `lend`).
    const log = this.ctx.persistence.trust?.memberLog(staging) ?? membersOf(staging).toArray();
    return evaluateMembers(self.networkId, log, self.anchor ?? self.networkId);
  }

  /** Where this device's next member operation goes in its own chain (what a revocation would keep). */
  private async nextLink(self: SelfRow) {
    return nextLink((await this.membersNow(self)).signed.get(self.deviceId));
  }

  private async signAndAppend(op: MemberOp): Promise<void> {
    const self = this.ctx.requireSelf();
    const identity = await this.ctx.requireAdmin();
    const linked = { ...op, ...(await this.nextLink(self)) };
    const signed = await signOp(linked, self.deviceId, identity.privateKey);
    appendMemberOp(this.ctx.persistence.staging(), signed);
    await this.ctx.persistence.flush();
  }

  /** An admin approves a device that asked to join (or changes a member's role). */
  async approveDevice(device: string, role?: Role): Promise<void> {
    await this.ctx.ready;
    const self = this.ctx.requireSelf();
    const row = await this.ctx.db.members.get(device);
    if (!row) throw refuse('store.deviceNotAsking');
    if (row.status === 'revoked') throw refuse('store.revokedCannotBeApproved');
    const wanted: Role = role ?? (row.role === 'requested' ? (row.hub ? 'hub' : 'coordinator') : row.role);
    await this.signAndAppend({
      t: 'approve',
      net: self.networkId,
      dev: device,
      key: row.key,
      ...(row.box ? { box: row.box } : {}),
      name: row.name,
      hub: row.hub,
      role: wanted,
      at: this.ctx.deps.now(),
    });
  }

  /**
   * "This laptop was lost": every replica stops counting the device's entries after the last one this
   * device has seen of it (the cut-off), and sets aside whatever it records later.
   */
  async revokeDevice(device: string): Promise<{ cut: number }> {
    await this.ctx.ready;
    const self = this.ctx.requireSelf();
    if (device === self.deviceId) throw refuse('store.cannotRevokeSelf');
    const identity = await this.ctx.requireAdmin();
    const chain = this.ctx.persistence.trust?.chainOf(device) ?? null;
    const cut = chain?.seq ?? 0;
    const now = this.ctx.deps.now();
    const state = await this.membersNow(self);
    const revoke = await signOp(
      {
        t: 'revoke',
        net: self.networkId,
        dev: device,
        cut,
        hash: chain && cut > 0 ? headHash(chain) : null,
        // Its member operations this device has seen still count; anything else it signs never will.
        keep: state.signed.get(device) ?? { n: 0, h: null, old: [] },
        at: now,
        ...nextLink(state.signed.get(self.deviceId)),
      },
      self.deviceId,
      identity.privateKey,
    );
    // The network key changes with it: the room, the sync password and the sync-file key all follow, and
    // the new key is sealed to every remaining device's own key. The revoked device cannot open it.
    const epoch = Math.max(state.rotation?.epoch ?? 0, self.epoch ?? 0) + 1;
    const key = newNetworkKey(this.ctx.deps.randomBytes);
    const newKey = toBase64Url(key);
    await this.ctx.sealer.prepare(withNewKey(self, newKey, epoch, now));
    const sealed: Record<string, string> = {};
    for (const m of state.members.values())
      if (!m.revoked && m.device !== device && m.box)
        sealed[m.device] = await sealTo(m.box, key, self.networkId, epoch, m.device);
    const rotate = await signOp(
      { t: 'rotate', net: self.networkId, epoch, sealed, at: now, ...linkAfter(revoke) },
      self.deviceId,
      identity.privateKey,
    );
    appendMemberOp(this.ctx.persistence.staging(), revoke);
    appendMemberOp(this.ctx.persistence.staging(), rotate);
    await this.ctx.persistence.flush(() => this.keys.storeNewKey(newKey, epoch, now));
    this.keys.takeUpKey(newKey, epoch, now);
    return { cut };
  }

  /** Grants this device made or is making, by epoch and device: each is signed once per session. */
  private granted = new Set<string>();

  private granting: Promise<void> = Promise.resolve();

  /**
   * An admin that holds the current network key passes it on to members the newest rotation left out: a
   * device approved after it, or one whose approval raced it (a rotation seals only to members, never to a
   * device that is only asking to join: the lost laptop can ask too). The copy is sealed to the member's
   * own key, and travels with the catch-up material to a device still in the earlier key's room. Runs after
   * every commit that changed the member list; two admins doing it at once grant twice, which is harmless.
   */
  grantMissingKeys(): Promise<void> {
    this.granting = this.granting.then(() => this.grantNow()).catch(() => undefined);
    return this.granting;
  }

  private async grantNow(): Promise<void> {
    const self = this.ctx.self;
    const identity = this.ctx.identity;
    const state = this.ctx.persistence.trust?.memberState;
    const rotation = state?.rotation;
    if (!self?.chain || !identity || !state || !rotation || (self.epoch ?? 0) !== rotation.epoch) return;
    const me = state.members.get(self.deviceId);
    if (!me || me.role !== 'admin' || me.revoked) return;
    const missing = [...state.members.values()]
      .filter(
        (m) =>
          m.box &&
          !m.revoked &&
          !Object.prototype.hasOwnProperty.call(rotation.sealed, m.device) &&
          !this.granted.has(`${rotation.epoch}|${m.device}`),
      )
      .slice(0, MAX_SEALED);
    const key = fromBase64Url(self.networkKey);
    if (missing.length === 0 || !key) return;
    const sealed: Record<string, string> = {};
    for (const m of missing)
      sealed[m.device] = await sealTo(m.box!, key, self.networkId, rotation.epoch, m.device);
    const op = await signOp(
      {
        t: 'grant',
        net: self.networkId,
        epoch: rotation.epoch,
        sealed,
        at: this.ctx.deps.now(),
        ...(await this.nextLink(self)),
      },
      self.deviceId,
      identity.privateKey,
    );
    for (const m of missing) this.granted.add(`${rotation.epoch}|${m.device}`);
    appendMemberOp(this.ctx.persistence.staging(), op);
    await this.ctx.persistence.flush();
  }
}
