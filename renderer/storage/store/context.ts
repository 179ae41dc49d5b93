import type { Doc } from 'yjs';
import { ValidationError, issue, type IssueCollector } from '../../../shared/errors';
import { msg, type DomainMessage, type PlainCode } from '../../../shared/messages';
import type { StoreDeps } from './deps';
import type { SelfCell } from './selfCell';
import type { CryptoKey } from '../../../shared/sync/keys';
import { generateDeviceKeys } from '../../../shared/trust/crypto';
import {
  isEnvelope,
  nextSettingTime,
  parseCopyKey,
  parseVersionKey,
  settingValue,
  signSetting,
  SETTING_MAPS,
  versionKey,
  type SettingMap,
  type SignedSetting,
} from '../../../shared/trust/settings';
import { FEW_SETTINGS, settingCopiesOf, settingVersionsOf, writtenFor } from '../../../shared/doc';
import { pacer } from '../../../shared/pace';
import type { MemberState } from '../../../shared/trust/members';
import type { IdentityRow, LarderDB, SelfRow } from '../db';
import type { KeySealer } from '../sealedKey';
import { DocPersistence } from '../persistence';
import { LEDGER_LOADED_MARK, LEDGER_LOADING_MARK } from '../marks';

export { browserDeps, type StoreDeps } from './deps';

/** One setting to write: map, key, value (null clears it). */
export type SettingChange = [SettingMap, string, unknown];

/** Who signs a setting or a member operation: on a network made before signing, nobody (null). */
export interface Signer {
  network: string;
  device: string;
  privateKey: CryptoKey;
}

/** Refuses what was asked with one message about the whole form (or one field). */
export const refuse = (code: PlainCode, field = ''): ValidationError =>
  new ValidationError([issue(field, msg(code))]);

const MAX_PLACE_NAME = 80;

/** A hub's or device's name, spaces folded; what is wrong with it goes to `issues` under `field`. */
export function checkName(
  raw: string,
  field: string,
  missing: 'store.hubNameMissing' | 'store.newHubNameMissing' | 'store.deviceNameMissing',
  tooLong: 'store.hubNameTooLong' | 'store.deviceNameTooLong',
  issues: IssueCollector,
): string {
  const name = raw.replace(/\s+/g, ' ').trim();
  if (!name) issues.add(field, msg(missing));
  else if (name.length > MAX_PLACE_NAME) issues.add(field, msg(tooLong, { max: MAX_PLACE_NAME }));
  return name;
}

/**
 * What every part of the store shares, held once: the database, the doc's persistence, this device's row
 * (observable) and its keys. The parts (ledger, members, keys, settings...) each take this one object.
 */
export class StoreContext {
  readonly persistence: DocPersistence;
  /** This device's signing and sealing keys; null on a network made before signing. */
  identity: IdentityRow | null;
  /** What follows the doc's load, once (the store wires its parts' follow-ups in). */
  afterLoad: () => Promise<void> | void = () => undefined;
  private loading: Promise<void> | null = null;
  /** Whether `ready` has resolved: the doc is loaded, with the saves made before it. */
  isReady = false;

  constructor(
    readonly db: LarderDB,
    readonly deps: StoreDeps,
    /** Keeps the network key sealed at rest where the platform can (the desktop app's keychain). */
    readonly sealer: KeySealer,
    /** This device's row, held by the store from its opening (the first screen reads it before the parts load). */
    private readonly selfCell: SelfCell,
    identity: IdentityRow | null,
  ) {
    const self = selfCell.row;
    this.identity = identity;
    this.persistence = new DocPersistence(
      db,
      deps.now,
      deps.projectChunk,
      undefined,
      undefined,
      deps.catchUpAt,
    );
    if (self?.chain) this.persistence.enableTrust(self.networkId, self.anchor);
    this.persistence.ownDevice = () => this.self?.deviceId ?? null;
  }

  /**
   * Loads the network's doc (once). Reads never wait for it: the screens show the projections at once,
   * and the app starts the load after its first screen is up, because applying a large doc holds the
   * main thread for seconds. Writes and sync wait for it through `ready`.
   */
  load(): Promise<void> {
    if (!this.loading) {
      performance.mark(LEDGER_LOADING_MARK);
      this.loading = this.persistence.load().then(async () => {
        await this.afterLoad();
        this.isReady = true;
        performance.mark(LEDGER_LOADED_MARK);
      });
      // Closing while the ledger still loads is normal (a tab closed early); callers that care await it.
      this.loading.catch(() => undefined);
    }
    return this.loading;
  }

  /** Resolves when the doc is loaded (starting the load if nothing has yet). */
  get ready(): Promise<void> {
    return this.load();
  }

  /**
   * Resolves when sync may start (starting the load if nothing has yet): with `ready`, or sooner when a
   * rebuild follows the load (the first start after an update of Larder, or damaged rows set aside): once the
   * doc is loaded, before that rebuild's figures are written (DocPersistence `loadedForSync`).
   */
  get loadedForSync(): Promise<void> {
    return Promise.race([this.load(), this.persistence.loadedForSync]);
  }

  get doc(): Doc {
    return this.persistence.doc;
  }

  /** Every change of the device's row goes through here, so whoever shows it hears of it. */
  get self(): SelfRow | null {
    return this.selfCell.row;
  }

  set self(row: SelfRow | null) {
    this.selfCell.row = row;
  }

  requireSelf(): SelfRow {
    if (!this.self) throw new Error('This device has not been set up yet');
    return this.self;
  }

  /** This device's hub; recording needs one. */
  requireHub(): string {
    const hub = this.requireSelf().hubId;
    if (!hub) throw refuse('store.chooseHubFirst');
    return hub;
  }

  requireIdentity(): IdentityRow {
    if (!this.identity) throw new Error('This device has no signing key');
    return this.identity;
  }

  /**
   * The member list as the doc has it, once the doc is loaded: an app opened again has not loaded it yet
   * when its first screen is up, and the list of an empty doc has no one in it (an admin's first click on
   * "Show invite code" after a start was refused). Not only the last projection's list either: an app
   * opened again with nothing new has not projected yet.
   */
  async currentMembers(): Promise<MemberState | null> {
    await this.ready;
    return (await this.persistence.trust?.currentMembers()) ?? null;
  }

  async requireAdmin(): Promise<IdentityRow> {
    const self = this.requireSelf();
    const identity = this.requireIdentity();
    const me = (await this.currentMembers())?.members.get(self.deviceId);
    if (!me || me.role !== 'admin' || me.revoked) throw refuse('store.adminOnly');
    return identity;
  }

  async newIdentity(): Promise<IdentityRow> {
    const keys = await generateDeviceKeys(this.deps.randomBytes);
    return {
      key: 'identity',
      privateKey: keys.privateKey,
      publicKey: keys.publicKey,
      boxPrivateKey: keys.boxPrivateKey,
      boxPublicKey: keys.boxPublicKey,
      boxKey: keys.boxKey,
    };
  }

  /** A setting's value as the doc holds it (unverified: the projection decides whether it counts). */
  setting(map: SettingMap, key: string): unknown {
    return settingValue(this.doc.getMap<unknown>(map).get(key));
  }

  signer(): Signer | null {
    const self = this.self;
    if (!self?.chain || !this.identity) return null;
    return { network: self.networkId, device: self.deviceId, privateKey: this.identity.privateKey };
  }

  /**
   * Writes settings in one doc transaction. On a signed network each value is an envelope this device
   * signs, and clearing one writes a signed tombstone; otherwise values are written as they are.
   */
  async putSettings(changes: readonly SettingChange[], signer: Signer | null = this.signer()): Promise<void> {
    const now = this.deps.now();
    // A staging doc built in slices first, if one is due, rather than in one task here.
    const pending = this.persistence.stagingPending();
    if (pending) await pending;
    if (!signer) {
      // Local changes go into the staging doc: the live doc gets them once they are on disk.
      const doc = this.persistence.staging();
      doc.transact(() => {
        for (const [map, key, value] of changes) {
          if (value === null) doc.getMap<unknown>(map).delete(key);
          else doc.getMap<unknown>(map).set(key, value);
        }
      }, 'local');
      return;
    }
    // Signed past every value of the setting held here (the staging doc's, which holds this device's
    // changes not yet on disk, the live doc's, and every writer's versions), so that it is the newest.
    // The staging doc is taken again after the signatures (an await): a save flushed meanwhile takes the
    // change it had open, and a change written into that one's doc would be in no commit
    // (DocPersistence `lateChange`). Signed again, rarely, if what it holds moved past them meanwhile.
    for (let attempt = 0; ; attempt++) {
      if (attempt === 5) throw refuse('store.settingChangedMeanwhile');
      const signAt = this.settingTimes(changes, signer, now);
      const values = await Promise.all(
        changes.map(([map, key, value], i) =>
          signSetting(signer.network, map, key, value, signer.device, signAt[i]!, signer.privateKey),
        ),
      );
      const doc = this.persistence.staging();
      const due = this.settingTimes(changes, signer, now);
      if (due.some((at, i) => at > signAt[i]!)) continue;
      const mine = ownVersions(doc, signer.device, changes);
      doc.transact(() => {
        changes.forEach(([map, key], i) => writeSigned(doc, map, key, values[i]!, mine));
      }, 'local');
      return;
    }
  }

  /** The time each setting of `changes` is signed at: past every value of it held here (see putSettings). */
  private settingTimes(changes: readonly SettingChange[], signer: Signer, now: number): number[] {
    const doc = this.persistence.staging();
    const written = writtenFor(this.doc, changes);
    const mine = ownVersions(doc, signer.device, changes);
    return changes.map(([map, key]) => {
      const held = [
        doc.getMap<unknown>(map).get(key),
        this.doc.getMap<unknown>(map).get(key),
        ...written(map, key).map(([, raw]) => raw),
      ];
      const after = Math.max(-1, ...(mine.get(`${map}/${key}`) ?? []).map(([, at]) => at));
      return Math.max(nextSettingTime(now, held), after + 1);
    });
  }

  /**
   * Gives every setting this device signed a version (shared/trust/settings.ts), where it has none as new:
   * settings it wrote with a Larder from before versions become as hard to roll back or hide as new ones.
   * The envelopes are kept as they were signed. Returns how many versions it wrote.
   */
  async keepOwnVersions(): Promise<number> {
    const device = this.self?.chain ? this.self.deviceId : null;
    if (!device) return 0;
    // In slices, the page running between them: it runs at every start, and a device that signed 30,000
    // levels read them all in one task of 120-260 ms (in Node).
    const pace = pacer();
    const newest = new Map<string, { map: SettingMap; key: string; env: SignedSetting }>();
    const consider = (map: SettingMap, key: string, raw: unknown) => {
      if (!isEnvelope(raw) || raw.by !== device) return;
      const at = `${map}/${key}`;
      const known = newest.get(at);
      if (!known || raw.at > known.env.at) newest.set(at, { map, key, env: raw });
    };
    for (const map of SETTING_MAPS) {
      const values = this.doc.getMap<unknown>(map);
      for (const key of [...values.keys()]) {
        consider(map, key, values.get(key));
        await pace();
      }
    }
    const copies = settingCopiesOf(this.doc);
    for (const copy of [...copies.keys()]) {
      const parsed = parseCopyKey(copy);
      if (parsed?.device === device) consider(parsed.map, parsed.key, copies.get(copy));
      await pace();
    }
    const lacking = (mine: Map<string, [string, number][]>) =>
      [...newest].filter(([at, { env }]) =>
        (mine.get(at) ?? []).every(([, versionAt]) => versionAt < env.at),
      );
    // This device's versions as the live doc holds them; a setting it wrote meanwhile has its own.
    const ownSoFar = new Map<string, [string, number][]>();
    for (const version of [...settingVersionsOf(this.doc).keys()]) {
      noteOwnVersion(ownSoFar, version, device);
      await pace();
    }
    if (lacking(ownSoFar).length === 0) return 0;
    // Checked again, at once, against the doc the versions are written in (a save may have staged or
    // written versions since they were read).
    const pending = this.persistence.stagingPending();
    if (pending) await pending;
    const doc = this.persistence.staging();
    const mine = ownVersions(
      doc,
      device,
      [...newest.values()].map(({ map, key }) => [map, key] as const),
    );
    const missing = lacking(mine);
    doc.transact(() => {
      for (const [, { map, key, env }] of missing) writeSigned(doc, map, key, env, mine, false);
    }, 'local');
    await this.persistence.flush();
    return missing.length;
  }

  /** Sets aside something a peer sent that failed its checks: shown under Problems, never counted. */
  async recordProblem(where: string, reason: DomainMessage, cause?: unknown): Promise<void> {
    const detail = cause === undefined ? undefined : String(cause).slice(0, 500);
    await this.db.problems.put({
      where,
      reason,
      seenAt: this.deps.now(),
      local: true,
      ...(detail ? { detail } : {}),
    });
  }
}

/**
 * This device's versions of each setting in a doc, by setting (`map/key`), as [version key, signed at]: of
 * every setting, or, for a change of a few (`wanted`), of those at least (only their keys are parsed: a device
 * that signed 30,000 levels parsed them all three times for each level it changed).
 */
function ownVersions(
  doc: Doc,
  device: string,
  wanted?: readonly (readonly [SettingMap, string, ...unknown[]])[],
): Map<string, [string, number][]> {
  const out = new Map<string, [string, number][]>();
  const few =
    wanted && wanted.length <= FEW_SETTINGS
      ? wanted.map(([map, key]) => [`${map}/${device}/`, `/${key}`] as const)
      : null;
  for (const version of settingVersionsOf(doc).keys()) {
    if (few && !few.some(([start, end]) => version.startsWith(start) && version.endsWith(end))) continue;
    noteOwnVersion(out, version, device);
  }
  return out;
}

/** Adds `version` to `out` (`ownVersions`) if it is one of `device`'s. */
function noteOwnVersion(out: Map<string, [string, number][]>, version: string, device: string): void {
  const parsed = parseVersionKey(version);
  if (parsed?.device !== device) return;
  const at = `${parsed.map}/${parsed.key}`;
  const list = out.get(at);
  if (list) list.push([version, parsed.at]);
  else out.set(at, [[version, parsed.at]]);
}

/**
 * Writes a signed setting: its value in the map (unless `inMap` is false), its version, and removes this
 * device's older versions of it (ingest lets a version go only once a newer one of its writer is in).
 * `mine`: this device's versions (`ownVersions`), kept up to date.
 */
function writeSigned(
  doc: Doc,
  map: SettingMap,
  key: string,
  env: SignedSetting,
  mine: Map<string, [string, number][]>,
  inMap = true,
): void {
  if (inMap) doc.getMap<unknown>(map).set(key, env);
  const versions = settingVersionsOf(doc);
  const where = versionKey(map, env.by, env.at, key);
  versions.set(where, env);
  const at = `${map}/${key}`;
  const kept: [string, number][] = [[where, env.at]];
  for (const [version, versionAt] of mine.get(at) ?? []) {
    if (versionAt < env.at) versions.delete(version);
    else if (version !== where) kept.push([version, versionAt]);
  }
  mine.set(at, kept);
}
