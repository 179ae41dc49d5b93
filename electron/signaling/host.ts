/**
 * "Host sync on this computer": runs one signaling server for the LAN from the Electron main
 * process, optionally announces it over mDNS, and browses for other hubs' announcements.
 * No Electron import, so tests drive it under plain Node; ipc.ts wires it to the bridge.
 *
 * mDNS privacy: the service instance and the host name in the records are random per start
 * (`larder-3f9a1c`), never the computer's name, and the TXT record holds only the port.
 * The A records necessarily carry this computer's LAN addresses (that is the point).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Bonjour } from 'bonjour-service';
import type { Service } from 'bonjour-service';
import type { SyncHostStartRequest, SyncHostStatus } from '../bridge-types';
import { loopbackUrl, signalingUrls } from './addresses';
import { startSignalingServer } from './server';
import type { SignalingServer } from './server';

export const SYNC_HOST_DEFAULT_PORT = 4444;
export const MDNS_SERVICE_TYPE = 'larder-sync';
const MAX_DISCOVERED = 20;

/** The subset of bonjour-service the host uses; tests inject one bound to loopback. */
export type MdnsFactory = (onError: (error: Error) => void) => Bonjour;

export interface SyncHostOptions {
  /** Interface to bind; the app serves the LAN, so 0.0.0.0. */
  host?: string;
  defaultPort?: number;
  log?: (line: string) => void;
  /** Creates the mDNS responder/browser. Default: bonjour-service on the standard multicast group. */
  mdns?: MdnsFactory;
}

export interface DiscoverOptions {
  durationMs?: number;
  /** Also list this computer's own announcement (tests). */
  includeOwn?: boolean;
}

export class SyncHost {
  private server: SignalingServer | null = null;
  private service: Service | null = null;
  private serviceName: string | null = null;
  private bonjour: Bonjour | null = null;
  private browsing = 0;
  /** start/stop run one after another, so a double click cannot start two servers. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SyncHostOptions = {}) {}

  start(request: SyncHostStartRequest = {}): Promise<SyncHostStatus> {
    return this.enqueue(async () => {
      if (this.server) {
        // Already running: keep its port; only turn the mDNS announcement on if now asked for.
        if (request.advertise && !this.service) this.advertise(this.server.port);
        return this.status();
      }
      const host = this.options.host ?? '0.0.0.0';
      const preferred = request.port ?? this.options.defaultPort ?? SYNC_HOST_DEFAULT_PORT;
      const log = this.options.log;
      let server: SignalingServer;
      try {
        server = await startSignalingServer({ host, port: preferred, ...(log ? { log } : {}) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || preferred === 0) throw error;
        this.log(`port ${preferred} is busy; using a random free port`);
        server = await startSignalingServer({ host, port: 0, ...(log ? { log } : {}) });
      }
      this.server = server;
      if (request.advertise) this.advertise(server.port);
      return this.status();
    });
  }

  stop(): Promise<SyncHostStatus> {
    return this.enqueue(async () => {
      const server = this.server;
      this.server = null;
      await this.unadvertise();
      if (server) await server.close();
      return this.status();
    });
  }

  /** URLs are worked out on every call, so a laptop that changed Wi-Fi shows its new address. */
  status(): SyncHostStatus {
    const server = this.server;
    const port = server?.port ?? null;
    return {
      running: server !== null,
      urls: server ? signalingUrls(server.host, server.port) : [],
      localUrl: port === null ? null : loopbackUrl(port),
      port,
      advertised: this.service !== null,
    };
  }

  /**
   * Browses mDNS for `durationMs` (default 2 s) and returns ws:// URLs announced by other Larder
   * hosts. They come from the LAN unchecked: show them for the person to choose, never auto-join.
   */
  async discover(options: DiscoverOptions = {}): Promise<string[]> {
    const durationMs = options.durationMs ?? 2000;
    const bonjour = this.mdns();
    if (!bonjour) return [];
    this.browsing += 1;
    try {
      const browser = bonjour.find({ type: MDNS_SERVICE_TYPE, protocol: 'tcp' });
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      const services = browser.services;
      browser.stop();
      const urls = new Set<string>();
      for (const service of services) {
        if (!options.includeOwn && service.name === this.serviceName) continue;
        for (const url of serviceUrls(service)) urls.add(url);
        if (urls.size >= MAX_DISCOVERED) break;
      }
      return [...urls].slice(0, MAX_DISCOVERED);
    } catch (error) {
      this.log(`mDNS browse failed (${(error as Error).message})`);
      return [];
    } finally {
      this.browsing -= 1;
      this.releaseMdns();
    }
  }

  private advertise(port: number): void {
    const bonjour = this.mdns();
    if (!bonjour) return;
    const id = randomBytes(3).toString('hex');
    const name = `larder-${id}`;
    try {
      const service = bonjour.publish({
        name,
        type: MDNS_SERVICE_TYPE,
        protocol: 'tcp',
        port,
        // Not os.hostname(): the records must not name the computer (or the hub).
        host: `${name}.local`,
        txt: { port: String(port) },
        disableIPv6: true,
      });
      service.on('error', (error: Error) => this.log(`mDNS announce failed (${error.message})`));
      this.service = service;
      this.serviceName = name;
    } catch (error) {
      this.log(`mDNS announce failed (${(error as Error).message})`);
      this.releaseMdns();
    }
  }

  private async unadvertise(): Promise<void> {
    const service = this.service;
    this.service = null;
    this.serviceName = null;
    if (service) {
      // Sends the "goodbye" records so browsers drop us at once; bounded in case the socket is gone.
      await Promise.race([
        new Promise<void>((resolve) => {
          try {
            service.stop?.(() => resolve());
          } catch {
            resolve();
          }
        }),
        new Promise<void>((resolve) => setTimeout(resolve, 1000).unref()),
      ]);
    }
    this.releaseMdns();
  }

  /** The shared mDNS instance, created on first use; null when mDNS cannot start here. */
  private mdns(): Bonjour | null {
    if (this.bonjour) return this.bonjour;
    const onError = (error: Error) =>
      this.log(`mDNS error (${(error as NodeJS.ErrnoException).code ?? error.message})`);
    try {
      this.bonjour = this.options.mdns ? this.options.mdns(onError) : new Bonjour({}, onError);
    } catch (error) {
      onError(error as Error);
      this.bonjour = null;
    }
    return this.bonjour;
  }

  /** Closes the mDNS socket once nothing announces or browses any more. */
  private releaseMdns(): void {
    if (!this.bonjour || this.service || this.browsing > 0) return;
    const bonjour = this.bonjour;
    this.bonjour = null;
    try {
      bonjour.destroy();
    } catch {
      // Already closed.
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private log(line: string): void {
    try {
      this.options.log?.(line);
    } catch {
      // Logging must not break hosting.
    }
  }
}

/** ws:// URLs for one announced service: its IPv4 addresses that could be a LAN host. */
export function serviceUrls(service: Pick<Service, 'addresses' | 'port' | 'referer'>): string[] {
  const port = service.port;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) return [];
  const candidates = service.addresses?.length ? service.addresses : [service.referer?.address ?? ''];
  return candidates.filter(isUsableLanIPv4).map((address) => `ws://${address}:${port}`);
}

/** IPv4, and not loopback, "this network", multicast or broadcast. */
export function isUsableLanIPv4(address: string): boolean {
  if (!net.isIPv4(address)) return false;
  const first = Number(address.split('.')[0]);
  return first !== 0 && first !== 127 && first < 224;
}
