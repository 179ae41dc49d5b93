/**
 * New connections per remote address (electron/signaling/connectionRate.ts and its use in server.ts):
 * an address that opens and closes connections in a loop is refused with HTTP 429 while other
 * addresses still connect, and the table of addresses stays bounded under a flood from many addresses.
 * Clients come from distinct loopback addresses (127.0.0.x: Linux routes all of 127/8 to lo). The
 * server's rate clock is a variable the test moves, so nothing here depends on how busy the machine is.
 */
import http from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionRate } from '../../electron/signaling/connectionRate';
import {
  SIGNALING_DEFAULTS,
  startSignalingServer,
  type SignalingServer,
  type SignalingServerOptions,
} from '../../electron/signaling/server';
import { Client } from './signaling-client';

const servers: SignalingServer[] = [];
const clients: Client[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A server whose connection-rate clock only moves when the test moves it. */
async function start(options: SignalingServerOptions = {}) {
  const clock = { ms: 0 };
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0, now: () => clock.ms, ...options });
  servers.push(server);
  return { server, clock };
}

async function connectFrom(server: SignalingServer, localAddress: string): Promise<Client> {
  const client = await Client.connect(server.url, { localAddress });
  clients.push(client);
  return client;
}

/** Opens a WebSocket from `localAddress` and closes it once it is in: one turn of the attacker's loop. */
async function openAndClose(server: SignalingServer, localAddress: string): Promise<void> {
  const client = await Client.connect(server.url, { localAddress });
  client.close();
  await client.closed();
}

/** Polls `condition` until it holds; fails after 15 s (a deadline, not a pause). */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A plain HTTP request from `localAddress`: its status and Retry-After header. */
function httpFrom(
  server: SignalingServer,
  localAddress: string,
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port: server.port, localAddress, path: '/' },
      (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] });
      },
    );
    request.on('error', reject);
  });
}

describe('connections opened in a loop from one address', () => {
  it('refuses the address over its rate with 429 and a Retry-After, while another address still connects', async () => {
    const { server, clock } = await start({
      connectionBurstPerAddress: 5,
      connectionsPerAddressPerSecond: 0.5,
    });
    for (let i = 0; i < 5; i += 1) await openAndClose(server, '127.0.0.2');
    for (let i = 0; i < 10; i += 1)
      await expect(Client.connect(server.url, { localAddress: '127.0.0.2' })).rejects.toThrow(/429/);
    expect(await httpFrom(server, '127.0.0.2')).toEqual({ status: 429, retryAfter: '2' });
    expect(server.stats()).toMatchObject({ rateLimited: 11, refused: 11 });

    // Another address is not affected: it connects, proves a topic and is answered.
    const honest = await connectFrom(server, '127.0.0.3');
    honest.subscribe('room');
    await honest.sync();

    // The refused address gets one connection per 2 s of its rate, not more.
    clock.ms += 2_000;
    await openAndClose(server, '127.0.0.2');
    await expect(Client.connect(server.url, { localAddress: '127.0.0.2' })).rejects.toThrow(/429/);
  });

  it('counts every socket, also a plain HTTP request or a refused one', async () => {
    const { server } = await start({
      connectionBurstPerAddress: 3,
      connectionsPerAddressPerSecond: 1,
      maxConnectionsPerAddress: 1,
    });
    const kept = await connectFrom(server, '127.0.0.4');
    // Refused for the per-address cap (503), and still spending the address's budget.
    await expect(Client.connect(server.url, { localAddress: '127.0.0.4' })).rejects.toThrow(/503/);
    expect((await httpFrom(server, '127.0.0.4')).status).toBe(503);
    expect((await httpFrom(server, '127.0.0.4')).status).toBe(429);
    await kept.sync();
  });

  it('defaults that a hub of 32 devices behind one NAT, all reconnecting at once, never reaches', async () => {
    expect(SIGNALING_DEFAULTS.connectionBurstPerAddress).toBeGreaterThanOrEqual(
      2 * SIGNALING_DEFAULTS.maxConnectionsPerAddress,
    );
    // lib0's WebsocketClient retries at most every 2.5 s: a device that is refused once does not loop faster.
    expect(SIGNALING_DEFAULTS.connectionsPerAddressPerSecond).toBeGreaterThanOrEqual(1 / 2.5);
    const { server } = await start();
    const hub = await Promise.all(Array.from({ length: 32 }, () => connectFrom(server, '127.0.0.5')));
    for (const device of hub) device.close();
    await Promise.all(hub.map((device) => device.closed()));
    await until(() => server.stats().sockets === 0);
    // ... and all of them again, straight away (a window reloaded on every device).
    const again = await Promise.all(Array.from({ length: 32 }, () => connectFrom(server, '127.0.0.5')));
    await Promise.all(again.map((device) => device.sync()));
    expect(server.stats().rateLimited).toBe(0);
  });
});

describe('the table of addresses', () => {
  it('stays bounded under a flood from many addresses; addresses past it share one bucket', async () => {
    const { server, clock } = await start({
      connectionBurstPerAddress: 2,
      connectionsPerAddressPerSecond: 1,
      maxTrackedAddresses: 3,
    });
    // Three addresses fill the table (one connection each, so their buckets are not full).
    for (const n of [10, 11, 12]) await openAndClose(server, `127.0.0.${n}`);
    expect(server.stats().trackedAddresses).toBe(3);
    // Twelve more addresses: not tracked one by one; together they get one bucket of 2.
    const outcomes: string[] = [];
    for (let n = 13; n < 25; n += 1) {
      outcomes.push(
        await openAndClose(server, `127.0.0.${n}`).then(
          () => 'in',
          (error: Error) => (/429/.test(error.message) ? '429' : error.message),
        ),
      );
    }
    expect(outcomes).toEqual(['in', 'in', ...Array<string>(10).fill('429')]);
    expect(server.stats().trackedAddresses).toBe(3);
    // An address in the table keeps its own bucket through the flood.
    await openAndClose(server, '127.0.0.10');
    await expect(Client.connect(server.url, { localAddress: '127.0.0.10' })).rejects.toThrow(/429/);

    // Idle for a full bucket's time: the entries are dropped, and new addresses get buckets of their own.
    clock.ms += 2_000;
    await openAndClose(server, '127.0.0.30');
    expect(server.stats().trackedAddresses).toBe(1);
    await openAndClose(server, '127.0.0.31');
    await openAndClose(server, '127.0.0.31');
  });
});

describe('ConnectionRate', () => {
  it('refuses settings that are not positive numbers', () => {
    expect(() => new ConnectionRate({ burst: 0, perSecond: 1, maxAddresses: 1 })).toThrow(/burst/);
    expect(() => new ConnectionRate({ burst: 1, perSecond: Number.NaN, maxAddresses: 1 })).toThrow(
      /perSecond/,
    );
    expect(() => new ConnectionRate({ burst: 1, perSecond: 1, maxAddresses: 1.5 })).toThrow(/maxAddresses/);
  });

  it('never lets an address with its own bucket open more than burst + rate × time, and never holds more than maxAddresses', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 3_000 })), {
          maxLength: 300,
        }),
        (burst, perSecond, maxAddresses, steps) => {
          let now = 0;
          const rate = new ConnectionRate({ burst, perSecond, maxAddresses }, () => now);
          const accepted = new Map<number, number>();
          // Addresses 0..maxAddresses-1 come first, so they hold the table's places from the start.
          for (let a = 0; a < maxAddresses; a += 1) {
            expect(rate.take(`a${a}`).ok).toBe(true);
            accepted.set(a, 1);
          }
          for (const [address, wait] of steps) {
            now += wait;
            const verdict = rate.take(`a${address}`);
            if (verdict.ok) accepted.set(address, (accepted.get(address) ?? 0) + 1);
            else expect(verdict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            expect(rate.size).toBeLessThanOrEqual(maxAddresses);
          }
          // Over the whole run, no address beat its budget, whether it had a bucket of its own or
          // shared the overflow bucket.
          const limit = burst + (now / 1000) * perSecond;
          for (const count of accepted.values()) expect(count).toBeLessThanOrEqual(limit + 1e-9);
        },
      ),
      { seed: 8, numRuns: 200 },
    );
  });

  it('gives an address back a full bucket once it has been idle long enough', () => {
    let now = 0;
    const rate = new ConnectionRate({ burst: 3, perSecond: 1, maxAddresses: 10 }, () => now);
    for (let i = 0; i < 3; i += 1) expect(rate.take('x').ok).toBe(true);
    expect(rate.take('x')).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 3_000;
    expect(rate.take('y').ok).toBe(true);
    expect(rate.size).toBe(1); // x was idle for a full bucket's time: dropped
    for (let i = 0; i < 3; i += 1) expect(rate.take('x').ok).toBe(true);
    expect(rate.take('x').ok).toBe(false);
  });
});
