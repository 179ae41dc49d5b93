import type { LarderWindow } from '../../electron/bridge-types';

/**
 * Seals the network key at rest where the platform can: in the desktop app with the computer's keychain
 * (Electron's safeStorage, electron/secrets.ts); a plain browser has no such thing, and keeps the key in
 * IndexedDB as it is (the browser profile is then what protects it).
 */
export interface SecretBox {
  /** The sealed text, or null when this computer has no keychain to seal with. */
  seal(text: string): Promise<string | null>;
  open(sealed: string): Promise<string>;
}

export function secretBox(): SecretBox | null {
  if (typeof window === 'undefined') return null;
  const bridge = (window as LarderWindow).larder;
  if (!bridge?.secrets) return null;
  return {
    seal: (text) => bridge.secrets.seal({ text }),
    open: (sealed) => bridge.secrets.open({ sealed }),
  };
}
