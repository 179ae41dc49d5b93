import { appendMemberOp, membersOf, readAllEntries, type DeviceInfo } from '../../../shared/doc';
import { READS_FORM } from '../../../shared/entryForms';
import { msg } from '../../../shared/messages';
import { chainStart } from '../../../shared/trust/chain';
import { deviceIdOf } from '../../../shared/trust/crypto';
import { linkAfter, networkIdOf, nextLink, signOp } from '../../../shared/trust/members';
import { settingValue, SETTING_MAPS } from '../../../shared/trust/settings';
import { carryOver, firstGenesis, legacyCuts } from '../../../shared/trust/upgrade';
import type { SelfRow } from '../db';
import { refuse, type SettingChange, type StoreContext } from './context';
import type { NetworkKeys } from './keys';
import type { Ledger } from './ledger';
import type { Members } from './members';

/**
 * Moving a network made before signing came to signed entries: this device upgrading it as its first
 * admin, or following an upgrade an admin made elsewhere (shared/trust/upgrade.ts).
 */
export class Upgrade {
  constructor(
    private readonly ctx: StoreContext,
    private readonly keys: NetworkKeys,
    private readonly members: Members,
    private readonly ledger: Ledger,
  ) {}

  /** After a commit: on a network from before signing an admin may have upgraded it; this device then follows. */
  followIfUpgraded(): void {
    const self = this.ctx.self;
    if (self && !self.chain && !this.upgrading && membersOf(this.ctx.doc).length > 0)
      void this.followUpgrade().catch((e: unknown) =>
        this.ctx.recordProblem('members/upgrade', msg('member.upgradeFailed'), e),
      );
  }

  /** Set while this device upgrades its network, or adopts an upgrade, so neither starts twice. */
  private upgrading: Promise<void> | null = null;

  /**
   * Moves a network made before signing came to signed entries, with this device as its first admin
   * (shared/trust/upgrade.ts). The history as this device has it now is signed as it is: every device's
   * entries up to the last one seen here keep counting; nothing unsigned counts after. Every setting is
   * signed again. The other devices follow as soon as they see it, and count again once approved.
   */
  async upgradeToSigned(): Promise<SelfRow> {
    await this.ctx.ready;
    const self = this.ctx.requireSelf();
    if (self.chain) throw refuse('store.alreadySigned');
    if (this.upgrading || membersOf(this.ctx.doc).length > 0) {
      // Another device upgraded first (or this one is already at it): follow that upgrade instead.
      await this.followUpgrade();
      return this.ctx.requireSelf();
    }
    let done!: () => void;
    this.upgrading = new Promise<void>((resolve) => (done = resolve));
    try {
      const identity = await this.ctx.newIdentity();
      const deviceId = deviceIdOf(identity.publicKey);
      const network = self.networkId;
      const anchor = networkIdOf(identity.publicKey);
      const now = this.ctx.deps.now();
      const signer = { network, device: deviceId, privateKey: identity.privateKey };
      const ops = [
        await signOp(
          {
            t: 'genesis',
            net: network,
            dev: deviceId,
            key: identity.publicKey,
            box: identity.boxKey,
            name: self.deviceName,
            hub: self.hubId,
            at: now,
            ...nextLink(undefined),
          },
          deviceId,
          identity.privateKey,
        ),
      ];
      for (const cut of legacyCuts(network, readAllEntries(this.ctx.doc).entries)) {
        const info = this.ctx.setting('devices', cut.device) as Partial<DeviceInfo> | undefined;
        const name =
          typeof info?.name === 'string' && info.name
            ? info.name.slice(0, 80)
            : cut.device === self.deviceId
              ? self.deviceName
              : cut.device;
        const hub =
          typeof info?.hub === 'string' ? info.hub : cut.device === self.deviceId ? self.hubId : null;
        ops.push(
          await signOp(
            {
              t: 'adopt',
              net: network,
              dev: cut.device,
              name,
              hub,
              cut: cut.seq,
              hash: cut.hash,
              at: now,
              ...linkAfter(ops.at(-1)!),
            },
            deviceId,
            identity.privateKey,
          ),
        );
      }
      // Every setting as it stands, signed by the new admin; and this device under its new id.
      const changes: SettingChange[] = [];
      for (const map of SETTING_MAPS)
        this.ctx.doc.getMap<unknown>(map).forEach((value, key) => {
          const v = settingValue(value);
          if (v !== undefined && v !== null) changes.push([map, key, v]);
        });
      changes.push([
        'devices',
        deviceId,
        { name: self.deviceName, hub: self.hubId, createdAt: now, reads: READS_FORM } satisfies DeviceInfo,
      ]);
      const next: SelfRow = {
        ...self,
        deviceId,
        nextSeq: 1,
        chain: chainStart(network, deviceId),
        anchor,
      };
      this.ctx.persistence.enableTrust(network, anchor);
      const staging = this.ctx.persistence.staging();
      staging.transact(() => {
        for (const op of ops) appendMemberOp(staging, op);
      }, 'local');
      await this.ctx.putSettings(changes, signer);
      await this.ctx.persistence.flush(async () => {
        await this.ctx.db.meta.put(identity);
        await this.ctx.db.meta.put(next);
      });
      this.ctx.identity = identity;
      this.ctx.self = next;
      await this.ctx.persistence.rebuild();
      this.keys.adoptKey(next);
      return next;
    } finally {
      if (!this.ctx.self?.chain) this.upgrading = null;
      done();
    }
  }

  /**
   * Follows an upgrade an admin made on another device: this device makes its own key pair, asks to join
   * under its new id, and records again what it had recorded after its cut-off (those entries count once
   * an admin approves it; the unsigned copies never do).
   */
  async followUpgrade(): Promise<void> {
    if (this.upgrading) return this.upgrading;
    let done!: () => void;
    this.upgrading = new Promise<void>((resolve) => (done = resolve));
    try {
      const self = this.ctx.self;
      if (!self || self.chain) return;
      const network = self.networkId;
      const genesis = await firstGenesis(network, membersOf(this.ctx.doc).toArray());
      if (!genesis) return;
      this.ctx.persistence.enableTrust(network, genesis.anchor);
      await this.ctx.persistence.rebuild();
      const cut = this.ctx.persistence.trust?.memberState?.members.get(self.deviceId);
      const after = cut?.revoked?.cut ?? 0;
      const mine = readAllEntries(this.ctx.doc).entries.filter(
        (e) => e.device === self.deviceId && e.seq > after,
      );
      const identity = await this.ctx.newIdentity();
      const deviceId = deviceIdOf(identity.publicKey);
      const now = this.ctx.deps.now();
      const next: SelfRow = {
        ...self,
        deviceId,
        nextSeq: 1,
        chain: chainStart(network, deviceId),
        anchor: genesis.anchor,
      };
      this.ctx.identity = identity;
      await this.members.requestToJoin(next, next.hubId, now);
      await this.ctx.putSettings(
        [
          [
            'devices',
            deviceId,
            {
              name: next.deviceName,
              hub: next.hubId,
              createdAt: now,
              reads: READS_FORM,
            } satisfies DeviceInfo,
          ],
        ],
        { network, device: deviceId, privateKey: identity.privateKey },
      );
      await this.ctx.persistence.flush(async () => {
        await this.ctx.db.meta.put(identity);
        await this.ctx.db.meta.put(next);
      });
      this.ctx.self = next;
      if (mine.length > 0) await this.ledger.commit(carryOver(mine, deviceId, next.nextSeq));
      this.keys.adoptKey(this.ctx.self);
    } finally {
      // Nothing to follow yet (no valid genesis): look again after the next commit.
      if (!this.ctx.self?.chain) this.upgrading = null;
      done();
    }
  }
}
