import { appendMemberOp, type DeviceInfo, type HubInfo } from '../../../shared/doc';
import { READS_FORM } from '../../../shared/entryForms';
import { IssueCollector } from '../../../shared/errors';
import { randomId } from '../../../shared/ids';
import { toBase64Url } from '../../../shared/sync/encoding';
import { parseInvite, type Invite } from '../../../shared/sync/invite';
import { newNetworkKey } from '../../../shared/sync/keys';
import { chainStart } from '../../../shared/trust/chain';
import { deviceIdOf } from '../../../shared/trust/crypto';
import { networkIdOf, nextLink, signOp } from '../../../shared/trust/members';
import type { SelfRow } from '../db';
import { checkName, refuse, type SettingChange, type StoreContext } from './context';
import type { Members } from './members';
import type { Settings } from './settings';

/** The device's name as a form gave it (`deviceName`), what is wrong with it in `issues`. */
const deviceNameOf = (raw: string, issues: IssueCollector) =>
  checkName(raw, 'deviceName', 'store.deviceNameMissing', 'store.deviceNameTooLong', issues);

/**
 * This device's own settings: making a network or joining one (its key pair, its row, its join request),
 * the hub it stocks, and the signaling servers it uses.
 */
export class Device {
  constructor(
    private readonly ctx: StoreContext,
    private readonly members: Members,
    private readonly settings: Settings,
  ) {}

  /** First start: a new network with this hub and this device in it, made locally with a new random key. */
  async createNetwork(form: { hubName: string; deviceName: string }): Promise<SelfRow> {
    const issues = new IssueCollector();
    const hubName = checkName(
      form.hubName,
      'hubName',
      'store.hubNameMissing',
      'store.hubNameTooLong',
      issues,
    );
    const deviceName = deviceNameOf(form.deviceName, issues);
    issues.throwIfAny();
    if (this.ctx.self) throw refuse('store.alreadyInNetwork');
    await this.ctx.ready;
    // The founding device's key anchors the network: the network id is derived from it.
    const identity = await this.ctx.newIdentity();
    const deviceId = deviceIdOf(identity.publicKey);
    const networkId = networkIdOf(identity.publicKey);
    const self: SelfRow = {
      key: 'self',
      networkId,
      networkKey: toBase64Url(newNetworkKey(this.ctx.deps.randomBytes)),
      signaling: [],
      role: 'hub',
      hubId: randomId(this.ctx.deps.randomBytes),
      deviceId,
      deviceName,
      nextSeq: 1,
      chain: chainStart(networkId, deviceId),
    };
    const now = this.ctx.deps.now();
    this.ctx.persistence.enableTrust(networkId);
    const genesis = await signOp(
      {
        t: 'genesis',
        net: networkId,
        dev: deviceId,
        key: identity.publicKey,
        box: identity.boxKey,
        name: deviceName,
        hub: self.hubId!,
        at: now,
        ...nextLink(undefined),
      },
      deviceId,
      identity.privateKey,
    );
    appendMemberOp(this.ctx.persistence.staging(), genesis);
    await this.ctx.putSettings(
      [
        ['network', 'id', networkId],
        ['network', 'createdAt', now],
        ['hubs', self.hubId!, { name: hubName, createdAt: now } satisfies HubInfo],
        [
          'devices',
          deviceId,
          { name: deviceName, hub: self.hubId!, createdAt: now, reads: READS_FORM } satisfies DeviceInfo,
        ],
      ],
      { network: networkId, device: deviceId, privateKey: identity.privateKey },
    );
    await this.ctx.sealer.prepare(self);
    await this.ctx.persistence.flush(async () => {
      await this.ctx.db.meta.put(identity);
      await this.ctx.db.meta.put(self);
    });
    this.ctx.identity = identity;
    this.ctx.self = self;
    return self;
  }

  /**
   * Joins the network an invite names. The device has no hub yet: the network's hubs arrive with the
   * first sync, and the person then picks this device's hub or starts a new one (`chooseHub`).
   */
  async joinNetwork(form: { invite: string; deviceName: string; asCoordinator?: boolean }): Promise<SelfRow> {
    const issues = new IssueCollector();
    const parsed = parseInvite(form.invite);
    if (!parsed.ok) issues.add('invite', parsed.message);
    const deviceName = deviceNameOf(form.deviceName, issues);
    issues.throwIfAny();
    if (this.ctx.self) throw refuse('store.alreadyInNetwork');
    const { invite } = parsed as { ok: true; invite: Invite };
    await this.ctx.ready;
    // On a signed network the device makes its own key pair: its id is derived from the key.
    const identity = invite.signed ? await this.ctx.newIdentity() : null;
    const deviceId = identity ? deviceIdOf(identity.publicKey) : randomId(this.ctx.deps.randomBytes);
    const self: SelfRow = {
      key: 'self',
      networkId: invite.networkId,
      networkKey: toBase64Url(invite.key),
      signaling: invite.signaling,
      role: form.asCoordinator ? 'coordinator' : 'hub',
      hubId: null,
      deviceId,
      deviceName,
      nextSeq: 1,
      ...(identity ? { chain: chainStart(invite.networkId, deviceId) } : {}),
      ...(invite.preApproval ? { preApproval: invite.preApproval } : {}),
      ...(identity && invite.anchor ? { anchor: invite.anchor } : {}),
    };
    if (identity) {
      this.ctx.persistence.enableTrust(invite.networkId, invite.anchor);
      this.ctx.identity = identity;
    }
    await this.ctx.sealer.prepare(self);
    const saveIdentity = async () => {
      if (identity) await this.ctx.db.meta.put(identity);
      // The invite's relays, used from the first sync on (renderer/sync/relay.ts): no more steps.
      if (identity && invite.relays?.length)
        await this.ctx.db.meta.put({ key: 'relays', urls: invite.relays });
      await this.ctx.db.meta.put(self);
    };
    if (form.asCoordinator) {
      // A coordinator holds no stock: it is in the network as a device without a hub.
      const now = this.ctx.deps.now();
      if (identity) await this.members.requestToJoin(self, null, now);
      await this.ctx.putSettings(
        [
          [
            'devices',
            self.deviceId,
            { name: deviceName, hub: null, createdAt: now, reads: READS_FORM } satisfies DeviceInfo,
          ],
        ],
        identity ? { network: self.networkId, device: self.deviceId, privateKey: identity.privateKey } : null,
      );
      await this.ctx.persistence.flush(saveIdentity);
    } else await this.ctx.persistence.flush(saveIdentity);
    this.ctx.self = self;
    return self;
  }

  /** Puts this device at an existing hub of the network, or at a new hub it names. */
  async chooseHub(choice: { hubId: string } | { newHubName: string }): Promise<SelfRow> {
    await this.ctx.ready;
    const self = this.ctx.requireSelf();
    if (self.hubId) throw refuse('store.alreadyHasHub');
    const now = this.ctx.deps.now();
    let hubId: string;
    const changes: SettingChange[] = [];
    let newHubName = '';
    if ('hubId' in choice) {
      // As a save is checked (a device started from a checkpoint knows the hubs from it before its doc does).
      if (!(await this.settings.hubsForSave()).has(choice.hubId)) throw refuse('store.hubUnknown', 'hub');
      hubId = choice.hubId;
    } else {
      const issues = new IssueCollector();
      const name = checkName(
        choice.newHubName,
        'newHubName',
        'store.newHubNameMissing',
        'store.hubNameTooLong',
        issues,
      );
      issues.throwIfAny();
      hubId = randomId(this.ctx.deps.randomBytes);
      newHubName = name;
      changes.push(['hubs', hubId, { name, createdAt: now } satisfies HubInfo]);
    }
    changes.push([
      'devices',
      self.deviceId,
      { name: self.deviceName, hub: hubId, createdAt: now, reads: READS_FORM } satisfies DeviceInfo,
    ]);
    // The request first: a new hub's settings count once the device that made them is approved for it.
    if (self.chain && this.ctx.identity)
      await this.members.requestToJoin(self, hubId, now, 'newHubName' in choice ? newHubName : undefined);
    await this.ctx.putSettings(changes);
    const next: SelfRow = { ...self, hubId };
    await this.ctx.persistence.flush(() => this.ctx.db.meta.put(next));
    this.ctx.self = next;
    return next;
  }

  /**
   * Says in this device's record which entry form it reads (shared/entryForms.ts), once after an update
   * that reads a newer one: the network's devices write that form once every one of them says it reads it.
   * Its record as it counts here (verified), not as the doc holds it, is signed again with that added.
   */
  async sayWhatItReads(): Promise<boolean> {
    const self = this.ctx.self;
    const row = self && (await this.ctx.db.devices.get(self.deviceId));
    if (!row || (row.reads ?? 0) >= READS_FORM) return false;
    const { id: _id, ...info } = row;
    await this.ctx.putSettings([['devices', row.id, { ...info, reads: READS_FORM } satisfies DeviceInfo]]);
    await this.ctx.persistence.flush();
    return true;
  }

  async setSignaling(urls: string[]): Promise<void> {
    const self = this.ctx.requireSelf();
    const next = { ...self, signaling: urls };
    await this.ctx.db.meta.put(next);
    this.ctx.self = next;
  }
}
