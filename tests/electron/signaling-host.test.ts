/**
 * SyncHost (electron/signaling/host.ts), the main-process side of "Host sync on this computer".
 * mDNS runs over a unicast UDP socket on 127.0.0.1 (multicast off), so announcing and browsing
 * are exercised for real without a packet leaving this machine.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { Bonjour } from 'bonjour-service';
import type { Service } from 'bonjour-service';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { lanIPv4Addresses } from '../../electron/signaling/addresses';
import {
  isUsableLanIPv4,
  MDNS_SERVICE_TYPE,
  serviceUrls,
  SyncHost,
  SYNC_HOST_DEFAULT_PORT,
} from '../../electron/signaling/host';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

async function occupy(host: string, port: number): Promise<net.Server> {
  const blocker = net.createServer();
  await new Promise<void>((resolve, reject) => {
    blocker.once('error', reject);
    blocker.listen({ host, port, exclusive: true }, resolve);
  });
  cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
  return blocker;
}

/** A Bonjour whose "multicast" is a loopback-only unicast socket; records every instance made. */
async function loopbackMdns() {
  const port = await freeUdpPort();
  const made: Bonjour[] = [];
  const factory = (onError: (error: Error) => void) => {
    const options = { multicast: false, ip: '127.0.0.1', port, bind: '127.0.0.1' };
    // bonjour-service passes these through to multicast-dns; its type only names service fields.
    const bonjour = new Bonjour(options as never, onError);
    made.push(bonjour);
    return bonjour;
  };
  return { factory, made };
}

function newHost(options: ConstructorParameters<typeof SyncHost>[0] = {}): SyncHost {
  const host = new SyncHost({ host: '127.0.0.1', ...options });
  cleanups.push(() => host.stop());
  return host;
}

describe('SyncHost', () => {
  it('starts, reports its URLs, serves signaling and stops', async () => {
    const blocker = await occupy('127.0.0.1', 0);
    const taken = (blocker.address() as net.AddressInfo).port;
    // The preferred port is taken, so it falls back to a random free one.
    const host = newHost();
    const status = await host.start({ port: taken });
    expect(status.running).toBe(true);
    expect(status.port).not.toBe(taken);
    expect(status.localUrl).toBe(`ws://127.0.0.1:${status.port}`);
    expect(status.urls).toEqual([`ws://127.0.0.1:${status.port}`]);
    expect(status.advertised).toBe(false);

    const socket = new WebSocket(status.localUrl ?? '');
    cleanups.push(() => socket.terminate());
    const received: Array<{ type?: unknown }> = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data)) as { type?: unknown }));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'ping' }));
    await vi.waitFor(() => expect(received.map((m) => m.type)).toEqual(['challenge', 'pong']));

    // Starting again is a no-op that returns the running server.
    expect(await host.start({ port: 1234 })).toEqual(status);
    expect(await host.stop()).toEqual({
      running: false,
      urls: [],
      localUrl: null,
      port: null,
      advertised: false,
    });
    expect(host.status().running).toBe(false);
    await occupy('127.0.0.1', status.port ?? 0); // the port is free again
  });

  it('serves the LAN on 0.0.0.0 by default and lists each LAN address, then loopback', async () => {
    const host = new SyncHost();
    cleanups.push(() => host.stop());
    const status = await host.start({ port: 0 });
    expect(status.urls).toEqual([
      ...lanIPv4Addresses().map((address) => `ws://${address}:${status.port}`),
      `ws://127.0.0.1:${status.port}`,
    ]);
    expect(SYNC_HOST_DEFAULT_PORT).toBe(4444);
  });

  it('never starts two servers when start is called twice at once', async () => {
    const host = newHost();
    const [first, second] = await Promise.all([host.start({ port: 0 }), host.start({ port: 0 })]);
    expect(second.port).toBe(first.port);
    await host.stop();
    await Promise.all([host.stop(), host.stop()]);
  });

  it('passes errors other than a busy port on to the caller', async () => {
    const host = new SyncHost({ host: '203.0.113.77' }); // not an address of this machine
    await expect(host.start({ port: 0 })).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
    expect(host.status().running).toBe(false);
  });

  it('announces over mDNS with a random name and only the port in TXT, and finds it', async () => {
    const { factory, made } = await loopbackMdns();
    const lines: string[] = [];
    const host = newHost({ mdns: factory, log: (line) => lines.push(line) });
    expect((await host.start({ port: 0 })).advertised).toBe(false);
    // Switching the announcement on for a running server keeps its port.
    const status = await host.start({ port: 1, advertise: true });
    expect(status.advertised).toBe(true);

    // Browse on the same loopback "network" through the host's own instance and look at the records.
    const bonjour = made[0];
    if (!bonjour) throw new Error('no mDNS instance was created');
    const found = await new Promise<Service>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('service not found')), 4000);
      bonjour.find({ type: MDNS_SERVICE_TYPE }, (service) => {
        clearTimeout(timer);
        resolve(service);
      });
    });
    expect(found.name).toMatch(/^larder-[0-9a-f]{6}$/);
    expect(found.host).toBe(`${found.name}.local`);
    expect(found.port).toBe(status.port);
    expect(found.txt).toEqual({ port: String(status.port) });

    const urls = await host.discover({ durationMs: 1500, includeOwn: true });
    expect(urls).toEqual(lanIPv4Addresses().map((address) => `ws://${address}:${status.port}`));
    // Its own announcement is left out of what the renderer is shown.
    expect(await host.discover({ durationMs: 300 })).toEqual([]);

    await host.stop();
    expect(made).toHaveLength(1);
    expect(lines.join('\n')).not.toContain('mDNS error');
  });

  it('discovers nothing, without throwing, when mDNS cannot start', async () => {
    const lines: string[] = [];
    const host = newHost({
      mdns: () => {
        throw new Error('no multicast here');
      },
      log: (line) => lines.push(line),
    });
    expect(await host.discover({ durationMs: 50 })).toEqual([]);
    const status = await host.start({ port: 0, advertise: true });
    expect(status).toMatchObject({ running: true, advertised: false });
    expect(lines.some((line) => line.includes('no multicast here'))).toBe(true);
  });
});

describe('serviceUrls', () => {
  it('keeps IPv4 LAN addresses and drops loopback, multicast, IPv6 and bad ports', () => {
    expect(
      serviceUrls({
        port: 4444,
        addresses: ['192.168.1.20', '127.0.0.1', 'fe80::1', '224.0.0.251', '10.0.0.5'],
      }),
    ).toEqual(['ws://192.168.1.20:4444', 'ws://10.0.0.5:4444']);
    expect(serviceUrls({ port: 0, addresses: ['192.168.1.20'] })).toEqual([]);
    expect(serviceUrls({ port: 70_000, addresses: ['192.168.1.20'] })).toEqual([]);
    expect(
      serviceUrls({
        port: 4444,
        addresses: [],
        referer: { address: '192.168.1.9', family: 'IPv4', port: 5353, size: 1 },
      }),
    ).toEqual(['ws://192.168.1.9:4444']);
    expect(isUsableLanIPv4('0.0.0.0')).toBe(false);
    expect(isUsableLanIPv4('255.255.255.255')).toBe(false);
    expect(isUsableLanIPv4('192.168.1.1:80')).toBe(false);
  });
});
