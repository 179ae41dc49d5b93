/** Which ws:// URLs reach a signaling server bound to a given host. Pure apart from os.networkInterfaces. */
import os from 'node:os';

type Interfaces = ReturnType<typeof os.networkInterfaces>;

/** This machine's non-internal IPv4 addresses (the ones other computers on the LAN can reach). */
export function lanIPv4Addresses(interfaces: Interfaces = os.networkInterfaces()): string[] {
  const addresses = new Set<string>();
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      // Node 18.0-18.3 reported family as the number 4.
      const ipv4 = entry.family === 'IPv4' || (entry.family as unknown) === 4;
      if (ipv4 && !entry.internal) addresses.add(entry.address);
    }
  }
  return [...addresses];
}

/**
 * URLs for a server bound to `host`: for a wildcard bind, one per LAN address plus loopback
 * (for this computer's own renderer, listed last); otherwise just the bound address.
 */
export function signalingUrls(host: string, port: number, interfaces?: Interfaces): string[] {
  if (host === '0.0.0.0' || host === '::') {
    return [...lanIPv4Addresses(interfaces).map((address) => `ws://${address}:${port}`), loopbackUrl(port)];
  }
  const shown = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return [`ws://${shown}:${port}`];
}

export function loopbackUrl(port: number): string {
  return `ws://127.0.0.1:${port}`;
}
