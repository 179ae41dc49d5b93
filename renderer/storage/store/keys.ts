import { fromBase64Url, toBase64Url } from '../../../shared/sync/encoding';
import { encodeInvite } from '../../../shared/sync/invite';
import { deriveSecrets, type NetworkSecrets } from '../../../shared/sync/keys';
import { msg } from '../../../shared/messages';
import { randomId } from '../../../shared/ids';
import { sign } from '../../../shared/trust/crypto';
import { PRE_APPROVAL_MS, signPreApproval } from '../../../shared/trust/members';
import { openSealed } from '../../../shared/trust/seal';
import { withNewKey } from '../../../shared/trust/catchUp';
import type { IdentityRow, SelfRow } from '../db';
import type { StoreContext } from './context';

/** Opens a copy of the network key of `epoch` sealed to this device's own key (by a rotation or a grant). */
export function openSealedToDevice(
  sealed: string,
  self: SelfRow,
  identity: IdentityRow,
  epoch: number,
): Promise<Uint8Array | null> {
  return openSealed(
    sealed,
    { privateKey: identity.boxPrivateKey, publicKey: identity.boxPublicKey },
    self.networkId,
    epoch,
    self.deviceId,
  );
}

/**
 * The network key and what is made from it (sync secrets, invites), this device's signature, and taking up
 * a newer key after a rotation: kept sealed at rest, and announced to sync, which reconnects with it.
 */
export class NetworkKeys {
  constructor(private readonly ctx: StoreContext) {}

  private secretsCache: Promise<NetworkSecrets> | null = null;

  private readonly keyListeners = new Set<() => void>();

  /** The network key, invite and derived secrets: what sync needs. */
  async secrets(): Promise<NetworkSecrets> {
    const self = this.ctx.requireSelf();
    if (!this.secretsCache) {
      const key = fromBase64Url(self.networkKey);
      if (!key) throw new Error('The network key on this device is damaged');
      this.secretsCache = deriveSecrets(key);
    }
    return this.secretsCache;
  }

  /** The invite code; `relays` (this device's, `relayUrls`) travel with it on a signed network. */
  inviteCode(signaling: string[] = this.ctx.requireSelf().signaling, relays: string[] = []): string {
    const self = this.ctx.requireSelf();
    return encodeInvite({
      networkId: self.networkId,
      key: fromBase64Url(self.networkKey)!,
      signaling,
      signed: !!self.chain,
      ...(self.anchor ? { anchor: self.anchor } : {}),
      ...(relays.length ? { relays } : {}),
    });
  }

  /**
   * An invite that also approves the one device that uses it within 24 hours (an admin's device only):
   * for a volunteer who must start now, without waiting for an admin to approve them. `role` is the most
   * it grants: a coordinator's pre-approval admits a hub device too.
   */
  async preApprovedInvite(
    role: 'hub' | 'coordinator' = 'coordinator',
    signaling: string[] = this.ctx.requireSelf().signaling,
    relays: string[] = [],
  ): Promise<string> {
    const self = this.ctx.requireSelf();
    const identity = await this.ctx.requireAdmin();
    const token = await signPreApproval(
      {
        t: 'pre',
        net: self.networkId,
        id: randomId(this.ctx.deps.randomBytes, 12),
        role,
        // Whole seconds: the invite carries the expiry in seconds.
        exp: Math.floor((this.ctx.deps.now() + PRE_APPROVAL_MS) / 1000) * 1000,
      },
      self.deviceId,
      identity.privateKey,
    );
    return encodeInvite({
      networkId: self.networkId,
      key: fromBase64Url(self.networkKey)!,
      signaling,
      signed: true,
      preApproval: token,
      ...(self.anchor ? { anchor: self.anchor } : {}),
      ...(relays.length ? { relays } : {}),
    });
  }

  /** Whether this network checks signatures (every network made since signing came). */
  get signed(): boolean {
    return !!this.ctx.self?.chain;
  }

  /**
   * This device's public signing key and its signature of `message` (what the relay checks: uploads,
   * membership statements); null on a network made before signing, or before this device has a key.
   */
  async signAsDevice(message: string): Promise<{ key: string; sig: string } | null> {
    const identity = this.ctx.identity;
    if (!this.ctx.self?.chain || !identity) return null;
    return { key: identity.publicKey, sig: await sign(identity.privateKey, message) };
  }

  /** Called when this device's network key changed (a rotation): sync reconnects with the new key. */
  onKeyChanged(listener: () => void): () => void {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  }

  adoptKey(next: SelfRow): void {
    this.ctx.self = next;
    this.secretsCache = null;
    for (const listener of this.keyListeners) listener();
  }

  /**
   * Takes up a key rotation an admin made, if it is newer than this device's key and sealed to it. Runs
   * after every commit that changed the member list, so a device that was away catches up with the first
   * device or sync file that brings the rotation.
   */
  async adoptRotation(): Promise<void> {
    const self = this.ctx.self;
    const identity = this.ctx.identity;
    const rotation = this.ctx.persistence.trust?.memberState?.rotation;
    if (!self?.chain || !identity || !rotation || rotation.epoch <= (self.epoch ?? 0)) return;
    const sealed = rotation.sealed[self.deviceId];
    if (!sealed) return; // not for this device: it was revoked, or joined after the rotation
    const key = await openSealedToDevice(sealed, self, identity, rotation.epoch);
    if (!key || key.length !== 32) {
      await this.ctx.recordProblem('members/rotation', msg('member.rotationUnreadable'));
      return;
    }
    const current = this.ctx.self!;
    if ((current.epoch ?? 0) >= rotation.epoch) return;
    await this.adoptNewKey(toBase64Url(key), rotation.epoch);
  }

  /**
   * Takes up a newer network key. Saves go on meanwhile and move this device's chain and sequence number
   * on: a copy of the device's row made before the awaits, put back after them, rolled the chain back, so
   * the next save signed a second head at a number already used (peers refuse it, and its entries).
   * So only the key changes: on disk in the row as it stands there, in memory in the row as it is now.
   */
  async adoptNewKey(key: string, epoch: number): Promise<void> {
    const now = this.ctx.deps.now();
    await this.ctx.sealer.prepare(withNewKey(this.ctx.self!, key, epoch, now));
    await this.ctx.db.transaction('rw', this.ctx.db.meta, () => this.storeNewKey(key, epoch, now));
    this.takeUpKey(key, epoch, now);
  }

  /** Writes a newer network key into the device's row as it is on disk (inside a transaction on meta). */
  async storeNewKey(key: string, epoch: number, now: number): Promise<void> {
    const stored = (await this.ctx.db.meta.get('self')) as SelfRow | undefined;
    if (stored && (stored.epoch ?? 0) < epoch)
      await this.ctx.db.meta.put(withNewKey(stored, key, epoch, now));
  }

  /** The device's row in memory, as saves have moved it, with a newer network key. */
  takeUpKey(key: string, epoch: number, now: number): void {
    const current = this.ctx.self!;
    if ((current.epoch ?? 0) < epoch) this.adoptKey(withNewKey(current, key, epoch, now));
  }
}
