import { membersOf, networkOf, writtenOfSetting } from '../../../shared/doc';
import { ValidationError, issue } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import { fromBase64Url, toBase64Url } from '../../../shared/sync/encoding';
import {
  CATCH_UP_DAYS_SETTING,
  catchUpDaysOf,
  catchUpMaterial,
  setAsideOps,
  keysToServe,
  MAX_CATCH_UP_DAYS,
  walkToCurrentKey,
  type CatchUpMaterial,
  type CatchUpResult,
} from '../../../shared/trust/catchUp';
import { judgeSetting } from '../../../shared/trust/settings';
import type { StoreContext } from './context';
import type { NetworkKeys } from './keys';

/**
 * Catching up devices that were away while the network key rotated: the material this device offers in
 * the earlier keys' rooms, how long it waits there (an admin's signed setting), and taking up a newer key
 * from material another device offered.
 */
export class KeyCatchUp {
  constructor(
    private readonly ctx: StoreContext,
    private readonly keys: NetworkKeys,
  ) {}

  private catchUpDaysNow = MAX_CATCH_UP_DAYS;

  private catchUpListeners = new Set<() => void>();

  /**
   * How many days after a rotation this network's devices wait in the earlier keys' rooms for devices
   * that were away (0 to 90; an admin's signed setting, 90 without one). Waiting there lets whoever holds
   * an old key, the revoked device included, see that the others are online and their addresses.
   */
  get catchUpDays(): number {
    return this.catchUpDaysNow;
  }

  /**
   * Called when what this device offers in the earlier keys' rooms changes: the network's waiting time,
   * or the material (a grant to a device approved since, a revocation) within one key. Sync joins the
   * earlier rooms again with it. A new key (a rotation) is announced by onKeyChanged instead.
   */
  onCatchUpChanged(listener: () => void): () => void {
    this.catchUpListeners.add(listener);
    return () => this.catchUpListeners.delete(listener);
  }

  /** The material this device last offered, and under which key. */
  private offered: { epoch: number; text: string } | null = null;

  /**
   * What this device offers, in the rooms of the keys it held before, to devices that missed rotations:
   * the member log's signed rotations and revocations (shared/trust/catchUp.ts). Null when there is none.
   */
  async catchUpMaterial(): Promise<CatchUpMaterial | null> {
    const self = this.ctx.self;
    if (!self?.chain) return null;
    // Only what counts in the member log as this device has it: anything set aside (signed by a device
    // that is no admin, by a revoked admin after its revocation) could push the real rotations out.
    const members = await this.ctx.currentMembers();
    const log = membersOf(this.ctx.doc).toArray();
    return catchUpMaterial(self.networkId, log, setAsideOps(members?.problems ?? []));
  }

  /** The keys whose rooms this device waits in for devices that were away: newest first, bounded. */
  catchUpRooms(): { epoch: number; key: Uint8Array }[] {
    const self = this.ctx.self;
    if (!self?.chain) return [];
    const out: { epoch: number; key: Uint8Array }[] = [];
    for (const past of keysToServe(self, this.ctx.deps.now(), this.catchUpDaysNow)) {
      const key = fromBase64Url(past.key);
      if (key && key.length === 32) out.push({ epoch: past.epoch, key });
    }
    return out;
  }

  /**
   * Takes up a newer network key from catch-up material a device offered in this key's room (this device
   * was away while an admin rotated it). The material is untrusted: only rotations an admin of the member
   * log as this device knows it signed count, and only a copy sealed to this device's own key opens.
   */
  async catchUpFrom(material: unknown): Promise<CatchUpResult> {
    await this.ctx.ready;
    const self = this.ctx.self;
    const identity = this.ctx.identity;
    if (!self?.chain || !identity) return { ok: false, code: 'catchUp.notForThisDevice' };
    const result = await walkToCurrentKey({
      network: self.networkId,
      anchor: self.anchor ?? self.networkId,
      log: membersOf(this.ctx.doc).toArray(),
      material,
      device: self.deviceId,
      epoch: self.epoch ?? 0,
      boxKeys: { privateKey: identity.boxPrivateKey, publicKey: identity.boxPublicKey },
    });
    if (!result.ok) return result;
    const current = this.ctx.self!;
    if ((current.epoch ?? 0) >= result.epoch) return { ok: false, code: 'catchUp.noNewerKey' };
    await this.keys.adoptNewKey(toBase64Url(result.key), result.epoch);
    return result;
  }

  /** After a change of the member list: tells sync when the material it offers is out of date. */
  noteCatchUpMaterial(): Promise<void> {
    // One at a time, in the order asked: a slower earlier one must not overwrite a later one.
    const run = this.noting.then(() => this.noteNow());
    this.noting = run.catch(() => undefined);
    return run;
  }

  private noting: Promise<void> = Promise.resolve();

  private async noteNow(): Promise<void> {
    const self = this.ctx.self;
    if (!self?.chain) return;
    const text = JSON.stringify(await this.catchUpMaterial());
    const epoch = self.epoch ?? 0;
    const before = this.offered;
    this.offered = { epoch, text };
    if (before?.epoch === epoch && before.text !== text && this.catchUpRooms().length > 0)
      for (const listener of this.catchUpListeners) listener();
  }

  /** Reads the waiting time from the doc; it counts only as an admin signed it (shared/trust/settings.ts). */
  async refreshCatchUpDays(): Promise<void> {
    const self = this.ctx.self;
    const members = await this.ctx.currentMembers();
    if (!self?.chain || !members) return;
    const raw = networkOf(this.ctx.doc).get(CATCH_UP_DAYS_SETTING);
    const written = writtenOfSetting(this.ctx.doc, 'network', CATCH_UP_DAYS_SETTING);
    const verdict = await judgeSetting(
      self.networkId,
      'network',
      CATCH_UP_DAYS_SETTING,
      raw,
      written,
      members,
    );
    const days = catchUpDaysOf(verdict.ok ? verdict.value : undefined);
    if (days === this.catchUpDaysNow) return;
    this.catchUpDaysNow = days;
    for (const listener of this.catchUpListeners) listener();
  }

  /** An admin sets how many days devices wait in the earlier keys' rooms (0 to 90). */
  async setCatchUpDays(form: { days: string }): Promise<number> {
    await this.ctx.ready;
    await this.ctx.requireAdmin();
    const text = form.days.trim();
    const days = Number(text);
    if (!/^\d{1,3}$/.test(text) || days > MAX_CATCH_UP_DAYS)
      throw new ValidationError([issue('days', msg('store.catchUpDaysInvalid', { max: MAX_CATCH_UP_DAYS }))]);
    await this.ctx.putSettings([['network', CATCH_UP_DAYS_SETTING, days]]);
    await this.ctx.persistence.flush();
    await this.refreshCatchUpDays();
    return days;
  }
}
