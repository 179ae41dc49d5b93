/**
 * The network key at rest, sealed with the operating system's keychain through Electron's safeStorage
 * (DPAPI on Windows, the Keychain on macOS, libsecret/kwallet on Linux). IndexedDB then holds only the
 * sealed form: copying the browser profile off a seized laptop does not give the key without the user's
 * login. Pure apart from the storage it is given, so it is tested without Electron.
 */
export interface KeychainStorage {
  isEncryptionAvailable(): boolean;
  /** Linux only: 'basic_text' means no keychain (a fixed password), which seals nothing. */
  getSelectedStorageBackend?(): string;
  encryptString(text: string): Buffer;
  decryptString(sealed: Buffer): string;
}

/** Why sealing is not possible here, or null when it is. */
export function keychainProblem(storage: KeychainStorage, platform: string): string | null {
  if (!storage.isEncryptionAvailable()) return 'no keychain is available';
  if (platform === 'linux') {
    const backend = storage.getSelectedStorageBackend?.() ?? 'unknown';
    if (backend === 'basic_text' || backend === 'unknown')
      return 'no keychain is available (install and unlock gnome-keyring or kwallet)';
  }
  return null;
}

/** The sealed text in base64, or null when this computer has no keychain to seal with. */
export function sealSecret(storage: KeychainStorage, platform: string, text: string): string | null {
  if (keychainProblem(storage, platform)) return null;
  return storage.encryptString(text).toString('base64');
}

/** Opens what sealSecret made; throws a message a person can act on when it cannot. */
export function openSecret(storage: KeychainStorage, platform: string, sealed: string): string {
  const problem = keychainProblem(storage, platform);
  if (problem)
    throw new Error(`The network key on this device is sealed with the computer's keychain, but ${problem}.`);
  try {
    return storage.decryptString(Buffer.from(sealed, 'base64'));
  } catch {
    throw new Error(
      "The network key on this device could not be unsealed: the computer's keychain refused it (another user account, or a reset keychain). Join the network again with an invite.",
    );
  }
}
