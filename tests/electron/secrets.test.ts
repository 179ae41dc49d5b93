import { describe, expect, it } from 'vitest';
import { keychainProblem, openSecret, sealSecret, type KeychainStorage } from '../../electron/secrets';
import {
  parseIpcPayload,
  secretOpenRequestSchema,
  secretSealRequestSchema,
} from '../../electron/ipc-schemas';

/** A stand-in for Electron's safeStorage: "seals" by XOR with a per-keychain byte. */
function keychain(options: { available?: boolean; backend?: string; salt?: number } = {}): KeychainStorage {
  const salt = options.salt ?? 0x5a;
  return {
    isEncryptionAvailable: () => options.available ?? true,
    getSelectedStorageBackend: () => options.backend ?? 'gnome_libsecret',
    encryptString: (text) => Buffer.from([salt, ...Buffer.from(text).map((b) => b ^ salt)]),
    decryptString: (sealed) => {
      if (sealed[0] !== salt)
        throw new Error('Error while decrypting the ciphertext provided to safeStorage');
      return Buffer.from(sealed.subarray(1).map((b) => b ^ salt)).toString();
    },
  };
}

const KEY = 'q1x9yVvJ3xqVw2J0d2s6c3R1ZmZfZm9yX2EtdGVzdA';

describe('the network key at rest in the desktop app', () => {
  it('is sealed with the keychain and opens again, on every platform with a keychain', () => {
    for (const platform of ['win32', 'darwin', 'linux']) {
      const storage = keychain();
      const sealed = sealSecret(storage, platform, KEY)!;
      expect(sealed).not.toContain(KEY);
      expect(Buffer.from(sealed, 'base64').toString()).not.toContain(KEY);
      expect(openSecret(storage, platform, sealed)).toBe(KEY);
    }
  });

  it('is not sealed where there is no keychain (Linux basic_text is a fixed password, not a keychain)', () => {
    expect(sealSecret(keychain({ available: false }), 'win32', KEY)).toBeNull();
    expect(sealSecret(keychain({ backend: 'basic_text' }), 'linux', KEY)).toBeNull();
    expect(keychainProblem(keychain({ backend: 'basic_text' }), 'linux')).toMatch(/gnome-keyring or kwallet/);
    // basic_text is a Linux notion: other platforms do not report a backend.
    expect(sealSecret(keychain({ backend: 'basic_text' }), 'darwin', KEY)).not.toBeNull();
  });

  it('says what to do when another keychain cannot open it, or the keychain is gone', () => {
    const sealed = sealSecret(keychain({ salt: 1 }), 'linux', KEY)!;
    expect(() => openSecret(keychain({ salt: 2 }), 'linux', sealed)).toThrow(/Join the network again/);
    expect(() => openSecret(keychain({ available: false }), 'linux', sealed)).toThrow(/no keychain/);
  });

  it('takes only bounded, well-formed requests over IPC', () => {
    expect(parseIpcPayload(secretSealRequestSchema, 'seal', { text: KEY })).toEqual({ text: KEY });
    for (const bad of [undefined, {}, { text: '' }, { text: 'x'.repeat(1025) }, { text: KEY, extra: 1 }])
      expect(() => parseIpcPayload(secretSealRequestSchema, 'seal', bad)).toThrow(/Invalid seal request/);
    expect(parseIpcPayload(secretOpenRequestSchema, 'open', { sealed: 'c2VhbGVk' })).toEqual({
      sealed: 'c2VhbGVk',
    });
    for (const bad of [{ sealed: 'not base64!' }, { sealed: 'A'.repeat(4097) }, { sealed: 42 }])
      expect(() => parseIpcPayload(secretOpenRequestSchema, 'open', bad)).toThrow(/Invalid open request/);
  });
});
