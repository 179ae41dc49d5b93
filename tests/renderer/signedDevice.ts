import type * as Y from 'yjs';
import {
  appendEntries,
  appendMemberOp,
  putHead,
  settingVersionsOf,
  writtenOfSetting,
} from '../../shared/doc';
import type { Entry } from '../../shared/entries';
import { chainStart, nextHead, type ChainState } from '../../shared/trust/chain';
import { deviceIdOf, generateDeviceKeys, sign, type DeviceKeys } from '../../shared/trust/crypto';
import { signOp, type Role } from '../../shared/trust/members';
import {
  nextSettingTime,
  signSetting,
  versionKey,
  type SettingMap,
  type SignedSetting,
} from '../../shared/trust/settings';
import type { LarderStore } from '../../renderer/storage/store';

/**
 * Another device of a signed network, for tests that write its entries straight into a Y.Doc: it has its
 * own key pair, keeps its hash chain and signs its head with each append, as the app does.
 */
export class SignedDevice {
  private chain: ChainState;
  /** The head `appendUnsigned` left to sign. */
  private unsigned: { hash: string; message: string } | null = null;

  private constructor(
    readonly network: string,
    readonly keys: DeviceKeys,
    readonly id: string,
  ) {
    this.chain = chainStart(network, id);
  }

  static async create(network: string): Promise<SignedDevice> {
    const keys = await generateDeviceKeys((n) => crypto.getRandomValues(new Uint8Array(n)));
    return new SignedDevice(network, keys, deviceIdOf(keys.publicKey));
  }

  /** A device that asked to join `admin`'s network and that admin approved (a coordinator by default). */
  static async approvedBy(
    admin: LarderStore,
    options: { role?: Role; hub?: string | null; name?: string } = {},
  ): Promise<SignedDevice> {
    const device = await SignedDevice.create(admin.self!.networkId);
    await device.ask(admin.persistence.doc, options.hub ?? null, options.name);
    await admin.persistence.flush();
    await admin.approveDevice(device.id, options.role ?? 'coordinator');
    return device;
  }

  /** Appends its self-signed join request to a doc. */
  async ask(doc: Y.Doc, hub: string | null, name = 'Remote device'): Promise<void> {
    appendMemberOp(
      doc,
      await signOp(
        {
          t: 'request',
          net: this.network,
          dev: this.id,
          key: this.keys.publicKey,
          name,
          hub,
          role: hub ? 'hub' : 'coordinator',
          at: Date.UTC(2025, 0, 1),
        },
        this.id,
        this.keys.privateKey,
      ),
    );
  }

  /** A setting's value as it signs it (shared/trust/settings.ts). */
  envelope(map: SettingMap, key: string, value: unknown, at = Date.UTC(2025, 2, 1)): Promise<SignedSetting> {
    return signSetting(this.network, map, key, value, this.id, at, this.keys.privateKey);
  }

  /**
   * Writes a setting it signs, as a Larder device does: into the map, and as its own version. Without
   * the right, its value takes the map's place all the same (the map is last writer wins), and counts for
   * nothing: the versions decide.
   */
  async setting(doc: Y.Doc, map: SettingMap, key: string, value: unknown, at?: number): Promise<void> {
    // Signed past every value of the setting it holds.
    const held = [
      doc.getMap<unknown>(map).get(key),
      ...writtenOfSetting(doc, map, key).map(([, raw]) => raw),
    ];
    const env = await this.envelope(map, key, value, at ?? nextSettingTime(Date.UTC(2025, 2, 1), held));
    doc.transact(() => {
      doc.getMap<unknown>(map).set(key, env);
      settingVersionsOf(doc).set(versionKey(map, this.id, env.at, key), env);
    });
  }

  /** Appends entries (numbered after its last one, under this device's id) with a signed head. */
  async append(doc: Y.Doc, entries: readonly Entry[]): Promise<Entry[]> {
    const first = this.chain.seq + 1;
    const own = entries.map((e, i) => ({ ...e, device: this.id, seq: first + i }));
    const { chain, hash, message } = nextHead(this.network, this.id, this.chain, own);
    this.chain = chain;
    const sig = await sign(this.keys.privateKey, message);
    appendEntries(doc, this.id, own, [this.chain.seq, hash, sig]);
    return own;
  }

  /**
   * Appends entries as `append` does, without a head for them: a history that arrives before the head that
   * signs it (`signHead`).
   */
  appendUnsigned(doc: Y.Doc, entries: readonly Entry[]): Entry[] {
    const first = this.chain.seq + 1;
    const own = entries.map((e, i) => ({ ...e, device: this.id, seq: first + i }));
    const { chain, hash, message } = nextHead(this.network, this.id, this.chain, own);
    this.chain = chain;
    this.unsigned = { hash, message };
    appendEntries(doc, this.id, own);
    return own;
  }

  /** Signs the head of what `appendUnsigned` appended. */
  async signHead(doc: Y.Doc): Promise<void> {
    if (!this.unsigned) throw new Error('nothing appended unsigned');
    const sig = await sign(this.keys.privateKey, this.unsigned.message);
    putHead(doc, this.id, [this.chain.seq, this.unsigned.hash, sig]);
    this.unsigned = null;
  }
}
