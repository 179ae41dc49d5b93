/**
 * Identifiers. Hubs, devices and items get short random ids (they travel in every ledger entry, so their
 * length is paid a million times); an entry's id is its device's id and that device's sequence number,
 * which is unique without coordination and costs nothing to store.
 */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export type RandomBytes = (n: number) => Uint8Array;

export function randomId(randomBytes: RandomBytes, length = 8): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! % ALPHABET.length];
  return out;
}

export const ID_PATTERN = /^[0-9a-z]{4,16}$/;

export function entryId(device: string, seq: number): string {
  return `${device}.${seq}`;
}

/** A total order on entry ids, the same on every replica: device, then sequence number. */
export function compareEntryIds(a: string, b: string): number {
  // Stryker disable next-line StringLiteral: the defaults are never used, an entry id always has a device and a number
  const [da = '', sa = '0'] = a.split('.');
  // Stryker disable next-line StringLiteral: the same
  const [db = '', sb = '0'] = b.split('.');
  if (da < db) return -1;
  if (da > db) return 1;
  return Number(sa) - Number(sb);
}
