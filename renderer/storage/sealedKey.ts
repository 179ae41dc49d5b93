import type { SecretBox } from '../platform/secrets';
import type { DBCore, Middleware } from 'dexie';
import type { SelfRow } from './db';

/** How a sealed key is marked in the stored row; a plain key (base64url) never contains a colon. */
export const SEALED = 'sealed:';

/**
 * Keeps the network key sealed at rest where the platform can seal it (the desktop app's keychain):
 * the device's own row in IndexedDB then holds `sealed:…` instead of the key. In memory the row holds the
 * plain key. Sealing is asynchronous (an IPC round trip), so it is done ahead of the write, outside the
 * IndexedDB transaction (`prepare`); `stored` is then synchronous and may run inside it.
 */
export class KeySealer {
  private readonly sealed = new Map<string, string>();

  constructor(private readonly box: SecretBox | null) {}

  /** Seals the row's keys, once each, before a write that may carry a new key. */
  async prepare(self: SelfRow): Promise<void> {
    if (!this.box) return;
    for (const key of [self.networkKey, self.previousKey, ...(self.pastKeys ?? []).map((p) => p.key)])
      if (key && !key.startsWith(SEALED) && !this.sealed.has(key)) {
        const sealed = await this.box.seal(key);
        if (sealed) this.sealed.set(key, SEALED + sealed);
      }
  }

  /** The row as it is stored: each key sealed if it was prepared. */
  stored(self: SelfRow): SelfRow {
    const networkKey = this.sealed.get(self.networkKey) ?? self.networkKey;
    const previousKey = self.previousKey
      ? (this.sealed.get(self.previousKey) ?? self.previousKey)
      : undefined;
    // Keys held before rotations, kept for a while to help devices that were away (catchUp.ts).
    const pastKeys = self.pastKeys?.map((p) => ({ ...p, key: this.sealed.get(p.key) ?? p.key }));
    return {
      ...self,
      networkKey,
      ...(previousKey ? { previousKey } : {}),
      ...(pastKeys ? { pastKeys } : {}),
    };
  }

  /** The stored row with its keys opened; remembers the sealed forms so writing it back keeps them sealed. */
  async open(row: SelfRow): Promise<SelfRow> {
    const open = async (key: string): Promise<string> => {
      if (!key.startsWith(SEALED)) return key;
      if (!this.box)
        throw new Error(
          'The network key on this device is sealed with the desktop app’s keychain: open Larder in the desktop app',
        );
      const plain = await this.box.open(key.slice(SEALED.length));
      this.sealed.set(plain, key);
      return plain;
    };
    const networkKey = await open(row.networkKey);
    const previousKey = row.previousKey ? await open(row.previousKey) : undefined;
    const pastKeys = row.pastKeys
      ? await Promise.all(row.pastKeys.map(async (p) => ({ ...p, key: await open(p.key) })))
      : undefined;
    return { ...row, networkKey, ...(previousKey ? { previousKey } : {}), ...(pastKeys ? { pastKeys } : {}) };
  }

  /** Whether the stored row still holds a key in the clear that this platform could seal. */
  needsSealing(row: SelfRow): boolean {
    return !!this.box && !row.networkKey.startsWith(SEALED);
  }
}

/**
 * Dexie middleware: every write of the device's own row goes through `sealer.stored`, wherever in the app
 * it is made, so no call site can store the key in the clear by forgetting to. Synchronous, as it must be
 * inside a transaction.
 */
export function sealingMiddleware(sealer: KeySealer): Middleware<DBCore> {
  return {
    stack: 'dbcore',
    name: 'larder-sealed-key',
    create: (down) => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        if (name !== 'meta') return table;
        return {
          ...table,
          mutate: (req) =>
            table.mutate(
              req.type === 'put' || req.type === 'add'
                ? {
                    ...req,
                    values: req.values.map((v: unknown) =>
                      (v as { key?: unknown } | null)?.key === 'self' ? sealer.stored(v as SelfRow) : v,
                    ),
                  }
                : req,
            ),
        };
      },
    }),
  };
}
