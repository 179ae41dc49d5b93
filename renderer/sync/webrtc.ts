// First: zod's settings for the page, before anything here makes a schema.
import '../zodConfig';
import type { WebrtcProvider } from 'y-webrtc';
import { fromBase64Url } from '../../shared/sync/encoding';
import { topicAuthAhead } from '../../shared/sync/roomAuth';
import type { LarderStore } from '../storage/store';
import { SYNC_STARTED_MARK } from '../storage/marks';
import { allowSyncServers } from './connectPolicy';
import { RelayService, relayUrls } from './relay';
import { setCheckpointCarrier, setRefusedHandler, warnRefused } from './guardedSync';
import { checkpointCarrier } from './checkpointCarrier';
import { peerInfoOf, type PeerInfo } from './presence';
import { CatchUpRooms, offeredCatchUp } from './catchUpRooms';
import { claimedEpoch } from '../../shared/trust/catchUp';
import { BEAT_EVERY_MS, Heartbeats } from './heartbeat';

export type { PeerInfo };

export interface SyncStatus {
  /** Sync is switched on. */
  running: boolean;
  /** Per configured signaling server: is the WebSocket to it open and has the server sent its challenge. */
  signaling: { url: string; connected: boolean }[];
  /** Open WebRTC connections to other devices. */
  connected: number;
  /** Names of the devices heard from recently (their presence is renewed every 15 s while connected). */
  peers: PeerInfo[];
}

/** Unconnected WebRTC connections older than this are torn down so y-webrtc announces again. */
const STUCK_AFTER_MS = 6_000;
const WATCHDOG_EVERY_MS = 2_000;
/** y-protocols renews a connected device's presence every 15 s and drops it after 30 s of silence. */
const PRESENCE_FRESH_MS = 20_000;

export interface ConnLike {
  connected: boolean;
  remotePeerId?: string;
  /** The peer holds no doc in this room: it only offers catch-up material (guardedSync.ts). */
  catchUpOnly?: boolean;
  /** simple-peer's peer and its RTCPeerConnection (y-webrtc internals; sent on only by heartbeat.ts). */
  peer?: {
    _pc?: { iceConnectionState?: string } | null;
    on?(event: 'iceStateChange' | 'data' | 'connect', listener: (data: Uint8Array) => void): void;
    send?(data: Uint8Array): void;
  };
  destroy(): void;
}

/**
 * Whether a connection still reaches its device. y-webrtc counts a connection until simple-peer closes it,
 * which for a device that just went away (lid shut, tab killed, network gone) waits for ICE to fail: 15 s
 * and more. A device whose peer beats stops counting when it has missed three beats (heartbeat.ts, about
 * 3 s); ICE saying "disconnected" (6-8 s) covers a peer that does not beat. It counts again when heard.
 */
export function reachesPeer(conn: ConnLike, heartbeats?: Heartbeats, now = Date.now()): boolean {
  if (!conn.connected || conn.catchUpOnly) return false;
  if (heartbeats?.silent(conn, now)) return false;
  const ice = conn.peer?._pc?.iceConnectionState;
  return ice !== 'disconnected' && ice !== 'failed' && ice !== 'closed';
}
/** How sync reaches what only its page has, when it runs in a Worker (renderer/app/pageDuties.ts). */
export interface SyncOptions {
  /** simple-peer's WebRTC (rtcStandIn.ts). */
  wrtc?: object;
  /** The page's policy widened for these servers, or 'reload' (connectPolicy.ts `allowSyncServers`). */
  allowServers?: (urls: readonly string[]) => Promise<'ok' | 'reload'>;
  /** Reloads the page. */
  reload?: () => void;
}

interface RoomLike {
  webrtcConns: Map<string, ConnLike>;
}

/**
 * Peer-to-peer sync of the network's doc over y-webrtc, using only the signaling servers the user
 * configured and no ICE servers at all (no STUN: peers find each other by their host candidates, which
 * works on a LAN and on loopback). Devices meet on the day's topic, a public key derived from the network
 * key and the UTC date, and prove to the server that they hold its private key (roomAuth.ts,
 * docs/signaling.md); the password comes from the network key too (keys.ts). So signaling servers see a
 * topic that changes every day and encrypted blobs, and a device without the key can neither join,
 * inject, connect nor read. Remote changes land in the same doc as local ones and are projected and committed by
 * DocPersistence in batches; invalid entries are set aside there.
 */
export class SyncService {
  private provider: WebrtcProvider | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private beating: ReturnType<typeof setInterval> | null = null;
  private readonly heartbeats = new Heartbeats();
  private readonly firstSeen = new Map<string, number>();
  /** Connections whose ICE state changes already update the status. */
  private readonly watched = new WeakSet<ConnLike>();
  private readonly listeners = new Set<() => void>();
  private snapshot: SyncStatus = { running: false, signaling: [], connected: 0, peers: [] };
  /** The rooms of earlier keys this device waits in for devices that were away (catchUpRooms.ts). */
  private readonly catchUp: CatchUpRooms;
  /** Catch-up material already tried (by its text), so a peer repeating it costs nothing. */
  private readonly triedCatchUps = new Set<string>();
  private catchingUp = false;

  /** Rounds with the relays this device uses, while sync runs. */
  readonly relay: RelayService;

  /**
   * `options.wrtc`: WebRTC for simple-peer where the page has none of its own to give, in a Worker (lent by
   * the page: rtcStandIn.ts, docs/worker.md step 3). On the page, the browser's. In a Worker, the page also
   * widens its policy for the sync servers (`allowServers`) and reloads (`reload`): the page's own, here.
   */
  constructor(
    private readonly store: LarderStore,
    private readonly options: SyncOptions = {},
  ) {
    this.catchUp = new CatchUpRooms(options.wrtc ? { wrtc: options.wrtc } : {});
    this.relay = new RelayService(store);
    setRefusedHandler((message) => {
      // Under Problems for the hub; on the console too, beside what sync says there.
      warnRefused(message);
      void store.recordProblem(`peer update received ${new Date().toISOString()}`, message);
    });
  }

  async start(): Promise<void> {
    const self = this.store.self;
    if (!self) return;
    if (this.provider) {
      // Already running: the device may just have chosen its hub.
      this.announce(this.provider);
      return;
    }
    const secrets = await this.store.secrets();
    // Not held by a rebuild after the load (the first start after an update: a minute and more at ten
    // million entries); what peers bring meanwhile is counted once its figures are written.
    await this.store.loadedForSync;
    if (this.provider) return;
    // The page's CSP allows WebSockets to the configured sync servers only (connectPolicy.ts); a
    // server it was not loaded with needs a new page.
    // Relays too: one list, so the web build's single narrowing allows both (renderer/sync/relay.ts).
    const allow = this.options.allowServers ?? allowSyncServers;
    if ((await allow([...self.signaling, ...(await relayUrls(this.store))])) === 'reload') {
      console.warn('Larder: reloading the page to reach a sync server or relay added since it opened');
      (this.options.reload ?? (() => location.reload()))();
      return;
    }
    // y-webrtc and simple-peer load only now (a chunk of the app's own files): the first view does not
    // wait for them to be compiled and run.
    const { WebrtcProvider } = await import('y-webrtc');
    if (this.provider) return;
    this.relay.start();
    const networkKey = fromBase64Url(self.networkKey);
    if (!networkKey) throw new Error('The network key on this device is damaged');
    // Today's topics worked out ahead, natively: y-webrtc lists them as it opens the room.
    const topicAuth = await topicAuthAhead(networkKey);
    if (this.provider) return;
    // A new device starts from a peer's checkpoint; an admin's or a coordinator's sends one (guardedSync.ts).
    setCheckpointCarrier(this.store.persistence.doc, checkpointCarrier(this.store));
    const provider = new WebrtcProvider(secrets.room, this.store.persistence.doc, {
      signaling: [...self.signaling],
      password: secrets.webrtcPassword,
      maxConns: 24,
      peerOpts: { ...(this.options.wrtc ? { wrtc: this.options.wrtc } : {}), config: { iceServers: [] } },
      topicAuth,
    });
    this.provider = provider;
    performance.mark?.(SYNC_STARTED_MARK);
    addEventListener('pagehide', this.onPageHide);
    this.announce(provider);
    provider.on('peers', () => {
      this.watchIce();
      this.update();
    });
    provider.on('status', () => this.update());
    provider.awareness.on('change', () => {
      this.update();
      void this.lookForCatchUp(provider);
    });
    void this.lookForCatchUp(provider);
    // Beats on every open connection; the status changes as soon as a peer falls silent (or is heard again).
    this.beating = setInterval(() => {
      // A connection that replaced another after glare comes without a 'peers' event: watched here.
      this.watchIce();
      const conns = this.conns();
      this.heartbeats.forgetAllBut(conns);
      this.heartbeats.beat(conns);
      const connected = conns.filter((c) => reachesPeer(c, this.heartbeats)).length;
      if (connected !== this.snapshot.connected) this.update();
    }, BEAT_EVERY_MS);
    this.watchdog = setInterval(() => {
      this.unstick();
      this.catchUp.refreshTopics();
      // A new day (or the overlap around midnight) moves the room to its topics. Checked every tick
      // rather than timed, so a laptop that slept through midnight moves as soon as it wakes.
      provider.refreshTopics();
      this.update();
    }, WATCHDOG_EVERY_MS);
    // A stop (or a restart) while the earlier rooms are joined makes this start give up (catchUpRooms.ts).
    await this.catchUp.start(this.store.catchUpRooms(), await this.store.catchUpMaterial(), self.signaling);
    this.update();
  }

  /** Tells the room who this device is (its presence: names for the others' sync screens). */
  private announce(provider: WebrtcProvider): void {
    const self = this.store.self;
    if (!self) return;
    const peer = (provider as unknown as { room: { peerId?: string } | null }).room?.peerId;
    provider.awareness.setLocalStateField('larder', {
      device: self.deviceId,
      deviceName: self.deviceName,
      hub: self.hubId,
      ...(peer === undefined ? {} : { peer }),
    } satisfies PeerInfo);
  }

  /**
   * A peer in this room offering catch-up material: this device was away while an admin rotated the key.
   * Each offer is tried once (the store checks it: signed by an admin, sealed to this device); when it
   * yields a newer key, the store announces it and sync moves to the new room (App.tsx restarts it).
   */
  private async lookForCatchUp(provider: WebrtcProvider): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      const offers: { material: unknown; text: string; epoch: number }[] = [];
      for (const [clientId, state] of provider.awareness.getStates()) {
        if (clientId === provider.awareness.clientID) continue;
        const offer = offeredCatchUp(state);
        if (offer && !this.triedCatchUps.has(offer.text))
          offers.push({ ...offer, epoch: claimedEpoch(offer.material) });
      }
      // The one that claims the newest key first: straight to the current room, not through another.
      offers.sort((a, b) => b.epoch - a.epoch);
      for (const offer of offers) {
        if (this.provider !== provider) return;
        if (this.triedCatchUps.size >= 64) this.triedCatchUps.clear();
        this.triedCatchUps.add(offer.text);
        const result = await this.store.catchUpFrom(offer.material);
        if (result.ok) {
          console.info(`Larder: took up the network key of rotation ${result.epoch} from a peer`);
          return;
        }
      }
    } finally {
      this.catchingUp = false;
    }
  }

  /**
   * y-webrtc sometimes leaves a negotiation waiting forever when two peers join at the same instant
   * (one side keeps its offer). Destroying connections that stay unconnected makes it announce again.
   * This reads y-webrtc internals (`room.webrtcConns`), which is why y-webrtc is pinned exactly.
   */
  private unstick(): void {
    const room = (this.provider as unknown as { room: RoomLike | null } | null)?.room;
    if (!room) return;
    const now = Date.now();
    for (const [peerId, conn] of room.webrtcConns) {
      if (conn.connected) {
        this.firstSeen.delete(peerId);
        continue;
      }
      const since = this.firstSeen.get(peerId) ?? now;
      this.firstSeen.set(peerId, since);
      if (now - since > STUCK_AFTER_MS) {
        this.firstSeen.delete(peerId);
        conn.destroy();
      }
    }
  }

  /** The room's WebRTC connections (y-webrtc internals, read only). */
  private conns(): ConnLike[] {
    const room = (this.provider as unknown as { room: RoomLike | null } | null)?.room;
    return room ? [...room.webrtcConns.values()] : [];
  }

  /**
   * A connection's ICE state changes the status at once (reachesPeer), not at the next watchdog tick;
   * what its peer sends is heard for the heartbeats.
   */
  private watchIce(): void {
    for (const conn of this.conns()) {
      if (this.watched.has(conn)) continue;
      this.watched.add(conn);
      conn.peer?.on?.('iceStateChange', () => this.update());
      this.heartbeats.watch(conn);
    }
  }

  /**
   * A page going away says goodbye (y-webrtc's own goodbye listens for beforeunload, which phones often
   * skip): its presence is removed and its connections closed, so peers see it leave at once. A page kept
   * in the back-forward cache joins again when it is shown.
   */
  private readonly onPageHide = (event: PageTransitionEvent): void => {
    this.stop();
    if (event.persisted) addEventListener('pageshow', () => void this.start(), { once: true });
  };

  stop(): void {
    removeEventListener('pagehide', this.onPageHide);
    this.relay.stop();
    this.catchUp.stop();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    if (this.beating) clearInterval(this.beating);
    this.beating = null;
    if (this.provider) {
      this.provider.disconnect();
      this.provider.destroy();
      setCheckpointCarrier(this.store.persistence.doc, null);
    }
    this.provider = null;
    this.firstSeen.clear();
    this.update();
  }

  async restart(): Promise<void> {
    this.stop();
    await this.start();
  }

  private update(): void {
    const provider = this.provider;
    if (!provider) {
      this.snapshot = { running: false, signaling: [], connected: 0, peers: [] };
    } else {
      const room = (provider as unknown as { room: RoomLike | null }).room;
      // y-webrtc is patched to use no BroadcastChannel (one tab per device holds the ledger): peers only.
      // A device waiting in this room with catch-up material only (an earlier key's room) is not a peer,
      // nor is one that ICE no longer hears (reachesPeer).
      const reached = room
        ? [...room.webrtcConns.values()].filter((c) => reachesPeer(c, this.heartbeats))
        : [];
      const connected = reached.length;
      const reachedPeers = new Set(reached.map((c) => c.remotePeerId));
      const peers: PeerInfo[] = [];
      const now = Date.now();
      provider.awareness.getStates().forEach((state, clientId) => {
        if (clientId === provider.awareness.clientID) return;
        // Peers' presence is untrusted: checked with zod (presence.ts) before React ever sees it.
        const info = peerInfoOf(state);
        if (!info || peers.some((p) => p.device === info.device)) return;
        // A device that went away keeps its presence for up to 30 s. One that says which connection
        // is its own is listed while that connection is heard; an older one while its presence is
        // renewed.
        const lastUpdated = provider.awareness.meta.get(clientId)?.lastUpdated ?? 0;
        const here =
          info.peer === undefined ? now - lastUpdated < PRESENCE_FRESH_MS : reachedPeers.has(info.peer);
        if (here) peers.push(info);
      });
      this.snapshot = {
        running: true,
        // Open and challenged: a server that sends no challenge (older than daily topics) cannot be used.
        signaling: (
          provider.signalingConns as { url: string; connected: boolean; nonce?: string | null }[]
        ).map((c) => ({ url: c.url, connected: c.connected && typeof c.nonce === 'string' })),
        connected,
        peers: connected > 0 ? peers : [],
      };
    }
    for (const l of this.listeners) l();
  }

  status(): SyncStatus {
    return this.snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
