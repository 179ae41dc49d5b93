import * as Y from 'yjs';
import { docParts } from '../../shared/sync/docParts';
import { encodeAppliedState } from '../../shared/sync/ingest';
import { docHolding } from '../../shared/sync/skeleton';
import { MAX_INFLATED_BYTES } from '../../shared/sync/compress';
import { fromBase64Url, toBase64Url } from '../../shared/sync/encoding';
import { msg } from '../../shared/messages';
import {
  blobHash,
  blobMessage,
  CHECKPOINT_PART_BYTES,
  checkpointPartMessage,
  deriveRelayKeys,
  MAX_CHECKPOINT_PARTS,
  openRelayCheckpoint,
  sealRelayCheckpoint,
  mailboxIdOf,
  MAX_SEQ,
  openRelayBlob,
  proveRead,
  RELAY_PROTOCOL,
  sealRelayBlob,
  statementMessage,
  statementPayload,
  type ClientMessage,
  type RelayKeys,
  type RefusalCode,
  type RelayMemberView,
  type ServerMessage,
  type SignedStatement,
} from '../../shared/sync/relay';
import { relayUrlSchema } from '../../shared/sync/invite';
import { deviceIdOf } from '../../shared/trust/crypto';
import { networkIdOf } from '../../shared/trust/members';
import type { RandomBytes } from '../../shared/ids';
import type { RelayStateRow } from '../storage/db';
import type { LarderDB } from '../storage/db';
import type { LarderStore } from '../storage/store';
import { pacer } from '../../shared/pace';

/**
 * This device and a relay (docs/relay.md): one round uploads what the relay lacks as far as this device
 * knows, and downloads what other devices put there since last time, into the same door every peer
 * update and sync file goes through (LarderStore.applyRemoteUpdate: the ingest checks, then the trust
 * gate). Yjs takes an update it already has as nothing new, and entries count by id, so a change that
 * arrives both over WebRTC and through the relay counts once.
 *
 * What is uploaded: everything this device holds past the state the relay is known to hold (`relayState`:
 * what this device uploaded, and what it downloaded from blobs whose base it had covered). So the relay
 * also receives what this device learned from live peers, and a laptop lost after syncing with a peer is
 * restored from the relay all the same. A blob is sealed and saved (`pending`) before it is sent and
 * sent again, byte for byte, until the relay acknowledges it: a crash or a lost connection between the
 * two never gives one sequence number two different blobs.
 */

export const RELAY_ORIGIN = 'relay';

/**
 * Why a round with a relay failed or why its upload waits, as a code the panel puts into the reader's
 * words (relay.notes.* in the catalogs); the English message stays for logs and tests.
 */
export type RelayNoteCode =
  | 'unreachable'
  | 'timeout'
  | 'notRelay'
  | 'otherNetwork'
  | 'refused'
  | 'notMember'
  | 'revoked'
  | 'quota'
  | 'rate'
  | 'tooLarge'
  | 'rejected'
  | 'deviceKey';

/** An error of a round with a relay, with its code. */
export class RelayProblem extends Error {
  constructor(
    readonly code: RelayNoteCode,
    message: string,
  ) {
    super(message);
    this.name = 'RelayProblem';
  }
}

/** A relay's refusal of an upload, as a note's code. */
function noteOfRefusal(code: RefusalCode | undefined): RelayNoteCode {
  switch (code) {
    case 'not-member':
      return 'notMember';
    case 'revoked':
      return 'revoked';
    case 'quota':
      return 'quota';
    case 'rate':
    case 'busy':
      return 'rate';
    case 'too-large':
      return 'tooLarge';
    default:
      return 'rejected';
  }
}

/** What the app's WebSocket (or `ws` in Node) offers that this client uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close' | 'error' | 'open', listener: () => void): void;
}
export type SocketFactory = (url: string) => SocketLike;

export interface RelaySyncOptions {
  connect?: SocketFactory;
  randomBytes?: RandomBytes;
  /** How long to wait for any one answer of the relay. */
  timeoutMs?: number;
  now?: () => number;
  /**
   * The checkpoint bundle this device leaves at the relay (default: the store's own, made now, for a
   * coordinator's or an admin's device; null from any other). Tests hand in another.
   */
  checkpoint?: (store: LarderStore, now: number) => Promise<Uint8Array | null>;
  /** How long a checkpoint left at the relay serves before this device leaves a newer one. */
  checkpointEveryMs?: number;
  /** Called as soon as this device has started from a checkpoint at the relay (its figures are right). */
  onCheckpoint?: () => void;
  /** The size this device cuts its blobs to, at most (RELAY_BLOB_BYTES); tests make it small. */
  blobBytes?: number;
}

export interface RelaySyncResult {
  /** Blobs downloaded and applied, and how many of them brought something new. */
  downloaded: number;
  /** Blobs this device uploaded (acknowledged) in this round. */
  uploaded: number;
  /** Why this device's upload waits, when it does (not approved yet, rate, quota...). */
  waiting: string | null;
  /** The same, as a code for the reader's words. */
  waitingCode: RelayNoteCode | null;
  /** Blobs that did not open or were refused by the ingest checks, and why (none of them counts). */
  refused: number;
  problems: { where: string; reason: string }[];
  /** Membership statements this (admin) device sent. */
  statements: number;
  mailbox: string | null;
  /** The checkpoint at the relay this device started from in this round (it had just joined). */
  startedFrom: { by: string; covered: number } | null;
  /** Whether this device left a checkpoint at the relay in this round (and its size, sealed). */
  leftCheckpoint: { parts: number; bytes: number } | null;
  /** When this device last left one at this relay (this round or before), if ever. */
  checkpointLeftAt: number | null;
}

/** How long a checkpoint left at the relay serves before a newer one is left (if anything changed). */
export const RELAY_CHECKPOINT_EVERY_MS = 6 * 60 * 60 * 1000;
/** How long after the relay refused a checkpoint this device tries again. */
const CHECKPOINT_RETRY_MS = 10 * 60 * 1000;
/** The most a device takes of one checkpoint's sealed parts, all together. */
const MAX_CHECKPOINT_SEALED_BYTES = MAX_INFLATED_BYTES + 1024 * 1024;
/** Checkpoints at the relay a device that has just joined tries in one round, newest first. */
export const RELAY_CHECKPOINTS_TRIED = 2;

const defaultConnect: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;
const defaultRandom: RandomBytes = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

const keysCache = new Map<string, Promise<RelayKeys>>();
function relayKeys(networkKey: string): Promise<RelayKeys> {
  let keys = keysCache.get(networkKey);
  if (!keys) {
    const raw = fromBase64Url(networkKey);
    if (!raw) throw new RelayProblem('deviceKey', 'The network key on this device is damaged');
    keys = deriveRelayKeys(raw);
    keysCache.clear();
    keysCache.set(networkKey, keys);
  }
  return keys;
}

/** A request without its id (the connection numbers them). */
type RequestBody = ClientMessage extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

/** One connection to a relay: requests answered by id, pushes passed to `onPush`. */
class RelayConnection {
  private nextId = 1;
  private readonly waiting = new Map<number, (m: ServerMessage) => void>();
  private first: ((m: ServerMessage) => void) | null = null;
  private closed: Error | null = null;
  private readonly fail = new Set<(e: Error) => void>();
  onPush: (m: ServerMessage) => void = () => undefined;

  private constructor(
    private readonly socket: SocketLike,
    private readonly timeoutMs: number,
  ) {
    socket.addEventListener('message', (event) => this.receive(event.data));
    const lost = () => {
      this.closed ??= new RelayProblem('unreachable', 'The connection to the relay was lost');
      for (const f of this.fail) f(this.closed);
      this.fail.clear();
    };
    socket.addEventListener('close', lost);
    socket.addEventListener('error', lost);
  }

  static open(url: string, connect: SocketFactory, timeoutMs: number): RelayConnection {
    return new RelayConnection(connect(url), timeoutMs);
  }

  private receive(data: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(typeof data === 'string' ? data : String(data)) as ServerMessage;
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    if ('id' in message && typeof message.id === 'number') {
      const resolve = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      resolve?.(message);
      return;
    }
    if (
      (message.type === 'challenge' || message.type === 'welcome' || message.type === 'error') &&
      this.first
    ) {
      const resolve = this.first;
      this.first = null;
      resolve(message);
      return;
    }
    this.onPush(message);
  }

  private wait(
    register: (resolve: (m: ServerMessage) => void) => void,
    what: string,
  ): Promise<ServerMessage> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail.delete(onFail);
        reject(new RelayProblem('timeout', `The relay did not answer in time (${what})`));
      }, this.timeoutMs);
      const onFail = (e: Error) => {
        clearTimeout(timer);
        reject(e);
      };
      this.fail.add(onFail);
      register((m) => {
        clearTimeout(timer);
        this.fail.delete(onFail);
        resolve(m);
      });
    });
  }

  /** The next unsolicited message (the challenge, then the welcome). */
  next(what: string): Promise<ServerMessage> {
    return this.wait((resolve) => (this.first = resolve), what);
  }

  send(message: ClientMessage): void {
    if (this.closed) throw this.closed;
    this.socket.send(JSON.stringify(message));
  }

  request(message: RequestBody, what: string): Promise<ServerMessage> {
    const id = this.nextId++;
    const answer = this.wait((resolve) => this.waiting.set(id, resolve), what);
    this.send({ ...message, id } as ClientMessage);
    return answer;
  }

  close(): void {
    this.closed ??= new Error('closed');
    try {
      this.socket.close(1000);
    } catch {
      // already closed
    }
  }
}

function mergeStates(a: Uint8Array, b: Uint8Array): Uint8Array {
  const merged = Y.decodeStateVector(a);
  for (const [client, clock] of Y.decodeStateVector(b))
    merged.set(client, Math.max(clock, merged.get(client) ?? 0));
  return Y.encodeStateVector(merged);
}

/** Whether `state` reaches past `known` for any Yjs client. */
function hasNew(state: Uint8Array, known: Uint8Array): boolean {
  const k = Y.decodeStateVector(known);
  for (const [client, clock] of Y.decodeStateVector(state)) if (clock > (k.get(client) ?? 0)) return true;
  return false;
}

/**
 * The relay holds everything below `known` (per Yjs client); a blob held everything from its `base` up to
 * its `after`. Where the blob starts at or below what is known, the known state reaches its end.
 */
function extendKnown(known: Uint8Array, base: Uint8Array, after: Uint8Array): Uint8Array {
  const k = Y.decodeStateVector(known);
  const b = Y.decodeStateVector(base);
  for (const [client, clock] of Y.decodeStateVector(after))
    if ((b.get(client) ?? 0) <= (k.get(client) ?? 0)) k.set(client, Math.max(clock, k.get(client) ?? 0));
  return Y.encodeStateVector(k);
}

/** The anchor's public key, from the member list this device has (the genesis admin's key). */
async function anchorKeyOf(store: LarderStore, anchorId: string): Promise<string | null> {
  const state = await store.currentMembers();
  for (const member of state?.members.values() ?? [])
    if (networkIdOf(member.key) === anchorId) return member.key;
  for (const key of state?.keys.values() ?? []) if (networkIdOf(key) === anchorId) return key;
  return null;
}

/** The statements an admin's device owes the relay: every member whose view there differs from the list. */
async function statementsToSend(
  store: LarderStore,
  mailbox: string,
  relayMembers: RelayMemberView[],
  cursor: Record<string, number>,
): Promise<SignedStatement[]> {
  const self = store.self!;
  // As the doc has it now, also in an app just opened, before anything new was projected.
  const state = await store.currentMembers();
  const me = state?.members.get(self.deviceId);
  if (!state || !me || me.role !== 'admin' || me.revoked) return [];
  const there = new Map(relayMembers.map((m) => [m.key, m]));
  const out: SignedStatement[] = [];
  for (const member of state.members.values()) {
    if (member.legacy || !/^[A-Za-z0-9_-]{43}$/.test(member.key)) continue;
    const role = member.role === 'admin' ? 'admin' : 'member';
    // A revoked device's cut-off at the relay: the last of its blobs this admin's device has downloaded.
    const cut = member.revoked ? Math.min(cursor[member.device] ?? 0, MAX_SEQ) : null;
    const at = member.revoked ? member.revoked.at : member.approvedAt;
    const current = there.get(member.key);
    if (current && current.role === role && (current.cut === null) === (cut === null)) continue;
    if (current && current.at >= at) continue;
    const p = statementPayload({ t: 'relay-member', mailbox, key: member.key, role, cut, at });
    const signed = await store.signAsDevice(statementMessage(p));
    if (signed) out.push({ p, by: signed.key, s: signed.sig });
  }
  return out;
}

/** Blobs one round uploads at most (a device seeding an empty relay with a large network needs several). */
const MAX_BLOBS_PER_ROUND = 64;

/**
 * The size (sealed) this device cuts what it uploads to, at most, as it cuts its checkpoints' parts
 * (CHECKPOINT_PART_BYTES), or to the relay's own limit if smaller. A relay serves a blob whole, in one
 * answer, which every device reading it must take within its timeout (30 s). At the relay's 8 MB, that
 * is a minute at 1 Mbit/s: a hub on a slow link would time out on that answer at every round, and never
 * have what follows it. A change larger than this in one struct goes as it is, up to the relay's limit.
 */
export const RELAY_BLOB_BYTES = CHECKPOINT_PART_BYTES;

/**
 * The next blob to upload: everything the relay lacks, or, when that is larger than `maxBytes` sealed, its
 * first part (`sealPart`). Null when the relay lacks nothing. Each piece's update and `after` are read in one
 * synchronous moment.
 */
async function sealPiece(
  store: LarderStore,
  known: Uint8Array,
  seal: (contents: { base: Uint8Array; after: Uint8Array; update: Uint8Array }) => Promise<Uint8Array>,
  maxBytes: number,
): Promise<{ sealed: Uint8Array; after: Uint8Array } | null> {
  // The doc, or its whole history from disk when it runs on a skeleton and the relay lacks history.
  const doc = await docHolding(store.persistence.doc, known);
  const knownMap = Y.decodeStateVector(known);
  const current = Y.decodeStateVector(Y.encodeStateVector(doc));
  if (![...current].some(([client, clock]) => clock > (knownMap.get(client) ?? 0))) return null;
  const update = encodeAppliedState(doc, known);
  const after = new Map(knownMap);
  for (const [client, clock] of current) after.set(client, Math.max(clock, knownMap.get(client) ?? 0));
  const afterState = Y.encodeStateVector(after);
  const sealed = await seal({ base: known, after: afterState, update });
  if (sealed.byteLength <= maxBytes) return { sealed, after: afterState };
  return sealPart(doc, known, seal, maxBytes);
}

/** The smallest part `sealPart` makes, in bytes before deflating: below this one struct alone is too large. */
const MIN_PART_BYTES = 1024;

/**
 * What the relay lacks is more than it takes in one blob (a device seeding an empty relay; a device's own
 * history of several hundred thousand entries is more even alone): the first part of it
 * (shared/sync/docParts.ts: structs in the order they build on each other, so no part waits on a later
 * one), made smaller until it fits. `after` says how far it goes; the next round seals from there.
 * A part that does not fit even at MIN_PART_BYTES is returned as it is (the caller reports it too large).
 */
async function sealPart(
  doc: Y.Doc,
  known: Uint8Array,
  seal: (contents: { base: Uint8Array; after: Uint8Array; update: Uint8Array }) => Promise<Uint8Array>,
  maxBytes: number,
): Promise<{ sealed: Uint8Array; after: Uint8Array }> {
  // Updates deflate about four times: twice the blob's size is a first guess that usually fits.
  for (let budget = 2 * maxBytes; ; budget = Math.floor(budget / 2)) {
    const { parts, reached: afterState } = docParts(doc, known, { maxBytes: budget, most: 1 });
    const update = parts[0]!;
    const sealed = await seal({ base: known, after: afterState, update });
    if (sealed.byteLength <= maxBytes || budget < 2 * MIN_PART_BYTES) return { sealed, after: afterState };
  }
}

const text = (message: unknown) => (typeof message === 'string' ? message : JSON.stringify(message));

/**
 * What this device knows of one relay's copy of a mailbox: its cursor, sequence numbers and what it holds
 * are that relay's, so each relay has its own row (two relays of one network are two copies, each filled by
 * its own uploads). Before stop 68 the row was per mailbox only, and a second relay was never sent what the
 * first already held (and refused the next sequence number as a gap).
 */
const stateKey = (mailbox: string, url: string): RelayStateRow['key'] => `relay:${mailbox}@${url}`;
const legacyKey = (mailbox: string): RelayStateRow['key'] => `relay:${mailbox}`;

async function loadState(store: LarderStore, mailbox: string, url: string): Promise<RelayStateRow> {
  const key = stateKey(mailbox, url);
  const row = await store.db.meta.get(key);
  if (row && row.key === key) return row as RelayStateRow;
  // A row of before stop 68 was the relay's this device used then: the first of its relays (a relay added
  // later comes after it), and the only one in most networks. It becomes that relay's.
  const legacy = await store.db.meta.get(legacyKey(mailbox));
  const first = (await relayUrls(store))[0];
  if (legacy && legacy.key === legacyKey(mailbox) && (first === undefined || first === url)) {
    const moved = { ...(legacy as RelayStateRow), key };
    await store.db.transaction('rw', store.db.meta, async () => {
      await store.db.meta.put(moved);
      await store.db.meta.delete(legacyKey(mailbox));
    });
    return moved;
  }
  return { key, cursor: {}, nextSeq: 1, relayState: Y.encodeStateVector(new Y.Doc()) };
}

/** One round with one relay: download what is new, send owed statements (admins), upload what it lacks. */
export async function syncWithRelay(
  store: LarderStore,
  url: string,
  options: RelaySyncOptions = {},
): Promise<RelaySyncResult> {
  await store.ready;
  const self = store.self;
  if (!self) throw new Error('Set up this device (start or join a network) before using a relay');
  if (!self.chain)
    throw new Error('A relay needs a network with signed entries: move the network to signed entries first');
  const random = options.randomBytes ?? defaultRandom;
  const keys = await relayKeys(self.networkKey);
  const anchorId = self.anchor ?? self.networkId;
  const knownAnchor = await anchorKeyOf(store, anchorId);
  const result: RelaySyncResult = {
    downloaded: 0,
    uploaded: 0,
    waiting: null,
    waitingCode: null,
    refused: 0,
    problems: [],
    statements: 0,
    mailbox: null,
    startedFrom: null,
    leftCheckpoint: null,
    checkpointLeftAt: null,
  };
  const now = options.now ?? Date.now;

  const conn = RelayConnection.open(url, options.connect ?? defaultConnect, options.timeoutMs ?? 30_000);
  try {
    const challenge = await conn.next('challenge');
    if (challenge.type !== 'challenge' || challenge.protocol !== RELAY_PROTOCOL)
      throw new RelayProblem('notRelay', 'This address is not a Larder relay, or a relay of another version');
    conn.send({
      type: 'hello',
      protocol: RELAY_PROTOCOL,
      read: keys.readKey,
      anchor: anchorId,
      proof: proveRead(keys, challenge.nonce, anchorId),
      ...(knownAnchor ? { anchorKey: knownAnchor } : {}),
    });
    const welcome = await conn.next('welcome');
    if (welcome.type !== 'welcome')
      throw new RelayProblem('refused', `The relay refused this device: ${JSON.stringify(welcome)}`);
    if (!welcome.mailbox || !welcome.anchorKey) return result; // nothing there, and nothing to create it with
    // The relay cannot choose the anchor: the mailbox is derived from it and from the read key.
    if (
      networkIdOf(welcome.anchorKey) !== anchorId ||
      welcome.mailbox !== mailboxIdOf(keys.readKey, welcome.anchorKey) ||
      (knownAnchor && knownAnchor !== welcome.anchorKey)
    )
      throw new RelayProblem('otherNetwork', 'The relay answered for another network: it was not used');
    const mailbox = welcome.mailbox;
    result.mailbox = mailbox;
    const state = await loadState(store, mailbox, url);
    const problem = (where: string, reason: string) => {
      result.refused += 1;
      if (result.problems.length < 100) result.problems.push({ where, reason });
    };
    const save = async () => store.db.meta.put(state);

    // A device that has just joined starts from the newest checkpoint it can verify, with right figures
    // before the history behind it comes (below, or later from peers).
    if (store.persistence.mayStartFromCheckpoint) {
      result.startedFrom = await startFromRelayCheckpoint(conn, store, state, mailbox, keys, problem, now);
      if (result.startedFrom) options.onCheckpoint?.();
    }

    // Download: every device's blobs past the cursor (this device's own only if it lost them), each inflated
    // in steps, the device's other work going on between them.
    const pause = pacer();
    const mine = self.deviceId;
    state.cursor[mine] = Math.max(state.cursor[mine] ?? 0, state.nextSeq - 1);
    for (;;) {
      const page = await conn.request({ type: 'fetch', cursor: state.cursor }, 'fetch');
      if (page.type !== 'blobs')
        throw new RelayProblem('refused', `The relay refused to send what it holds: ${JSON.stringify(page)}`);
      const ranges: { base: Uint8Array; after: Uint8Array }[] = [];
      for (const item of page.blobs) {
        if (item.seq !== (state.cursor[item.device] ?? 0) + 1 || deviceIdOf(item.key) !== item.device) {
          problem(`relay/${item.device}/${item.seq}`, 'The relay sent a blob out of order; it was skipped');
          continue;
        }
        const bytes = fromBase64Url(item.blob);
        const opened =
          bytes &&
          (await openRelayBlob(bytes, { mailbox, deviceKey: item.key, seq: item.seq }, keys.blobKey, pause));
        if (!opened) {
          problem(
            `relay/${item.device}/${item.seq}`,
            'A blob from the relay did not open with this network’s key (damaged or forged); it was skipped',
          );
        } else {
          const applied = await store.applyRemoteUpdate(opened.update, RELAY_ORIGIN);
          if (!applied.ok) {
            problem(`relay/${item.device}/${item.seq}`, `Refused from the relay: ${text(applied.message)}`);
          } else {
            result.downloaded += 1;
            ranges.push(opened);
          }
        }
        state.cursor[item.device] = item.seq;
      }
      // What the relay is known to hold: repeated until nothing moves, since blobs come device by device.
      for (let moved = true; moved;) {
        moved = false;
        for (const r of ranges) {
          const next = extendKnown(state.relayState, r.base, r.after);
          if (hasNew(next, state.relayState)) {
            state.relayState = next;
            moved = true;
          }
        }
      }
      await save();
      if (!page.more) break;
    }

    // Admins: the relay learns who may upload from statements they sign (names never go there).
    const statements = await statementsToSend(store, mailbox, welcome.members, state.cursor);
    if (statements.length > 0) {
      const answer = await conn.request({ type: 'members', statements }, 'members');
      if (answer.type === 'members-ok') result.statements = answer.accepted;
    }

    // Upload: the saved blob first, then what the relay still lacks.
    const identity = await store.db.meta.get('identity');
    if (identity?.key !== 'identity') throw new RelayProblem('deviceKey', 'This device has no signing key');
    const deviceKey = identity.publicKey;
    const head = welcome.heads[mine] ?? 0;
    if (!state.pending && state.nextSeq <= head) state.nextSeq = head + 1;
    for (let round = 0; round < MAX_BLOBS_PER_ROUND; round++) {
      if (!state.pending) {
        const seq = state.nextSeq;
        const piece = await sealPiece(
          store,
          state.relayState,
          (contents) => sealRelayBlob(contents, { mailbox, deviceKey, seq }, keys.blobKey, random),
          Math.min(welcome.limits.maxBlobBytes, options.blobBytes ?? RELAY_BLOB_BYTES),
        );
        if (!piece) break;
        if (piece.sealed.byteLength > welcome.limits.maxBlobBytes) {
          result.waitingCode = 'tooLarge';
          result.waiting = `One change of this device (${piece.sealed.byteLength} bytes sealed) is larger than the relay takes in one piece (${welcome.limits.maxBlobBytes} bytes)`;
          break;
        }
        const { sealed, after } = piece;
        const signed = await store.signAsDevice(blobMessage(mailbox, deviceKey, seq, blobHash(sealed)));
        if (!signed) throw new RelayProblem('deviceKey', 'This device has no signing key');
        state.pending = { seq, blob: sealed, sig: signed.sig, after };
        await save();
      }
      const pending = state.pending;
      const answer = await conn.request(
        {
          type: 'upload',
          key: deviceKey,
          seq: pending.seq,
          blob: toBase64Url(pending.blob),
          sig: pending.sig,
        },
        'upload',
      );
      if (answer.type === 'ack') {
        state.relayState = mergeStates(state.relayState, pending.after);
        state.nextSeq = pending.seq + 1;
        state.cursor[mine] = pending.seq;
        delete state.pending;
        await save();
        result.uploaded += 1;
        continue;
      }
      if (answer.type === 'refused' && answer.code === 'taken') {
        // This device's own record of the relay was older than the relay (a profile restored from a
        // copy): seal again after the relay's last blob of this device.
        delete state.pending;
        state.nextSeq = Math.max(state.nextSeq, pending.seq + 1);
        await save();
        continue;
      }
      result.waiting = answer.type === 'refused' ? answer.message : `Unexpected answer: ${answer.type}`;
      result.waitingCode = answer.type === 'refused' ? noteOfRefusal(answer.code) : 'rejected';
      break;
    }
    // Once the relay holds everything this device has: a checkpoint of it, now and then (makers only).
    if (!result.waiting && !state.pending) {
      const left = await leaveCheckpoint(conn, store, state, {
        mailbox,
        deviceKey,
        keys,
        random,
        maxPartBytes: welcome.limits.maxBlobBytes,
        now: now(),
        make: options.checkpoint,
        everyMs: options.checkpointEveryMs ?? RELAY_CHECKPOINT_EVERY_MS,
      });
      await save();
      if (typeof left === 'object' && left && 'waiting' in left) {
        result.waiting = left.waiting;
        result.waitingCode = left.code;
      } else result.leftCheckpoint = left;
    }
    result.checkpointLeftAt = state.checkpointLeftAt ?? null;
    return result;
  } finally {
    conn.close();
  }
}

/**
 * Starts this device (just joined: no entry yet) from the newest checkpoint at the relay that opens and
 * verifies (LarderStore's startFromBundle: the maker's signature, its role in the signed member list, the
 * rows against the head), trying at most RELAY_CHECKPOINTS_TRIED. One that does not is noted under
 * Problems and in the round's result, and not tried again. Null when none was started from.
 */
async function startFromRelayCheckpoint(
  conn: RelayConnection,
  store: LarderStore,
  state: RelayStateRow,
  mailbox: string,
  keys: RelayKeys,
  problem: (where: string, reason: string) => void,
  now: () => number,
): Promise<{ by: string; covered: number } | null> {
  const listed = await conn.request({ type: 'checkpoint-list' }, 'checkpoint list');
  if (listed.type !== 'checkpoints') return null;
  const refused = new Set(state.refusedCheckpoints ?? []);
  const candidates = listed.checkpoints
    .filter((c) => !refused.has(c.ck) && c.parts >= 1 && c.parts <= MAX_CHECKPOINT_PARTS)
    .slice(0, RELAY_CHECKPOINTS_TRIED);
  for (const listedCk of candidates) {
    const where = `relay/${listedCk.device}/checkpoint`;
    const refuse = async (reason: string) => {
      problem(where, reason);
      refused.add(listedCk.ck);
      state.refusedCheckpoints = [...refused].slice(-100);
      await store.recordProblem(
        `relay checkpoint received ${new Date(now()).toISOString()}`,
        msg('update.checkpointRefused'),
      );
    };
    if (deviceIdOf(listedCk.key) !== listedCk.device) {
      await refuse('The relay named a checkpoint by a key that is not its device’s; it was not used');
      continue;
    }
    const parts: Uint8Array[] = [];
    // A relay that lies could send parts of any size: all of them together are no larger than a bundle's
    // most (it inflates to at most MAX_INFLATED_BYTES, and deflating never adds more than a little).
    let total = 0;
    for (let part = 0; part < listedCk.parts; part++) {
      const answer = await conn.request(
        { type: 'checkpoint-get', device: listedCk.device, ck: listedCk.ck, part },
        'checkpoint part',
      );
      const bytes =
        answer.type === 'checkpoint-part' &&
        answer.key === listedCk.key &&
        answer.parts === listedCk.parts &&
        answer.part === part
          ? fromBase64Url(answer.blob)
          : null;
      total += bytes?.byteLength ?? 0;
      if (!bytes || total > MAX_CHECKPOINT_SEALED_BYTES) break;
      parts.push(bytes);
    }
    const bundle =
      parts.length === listedCk.parts
        ? await openRelayCheckpoint(
            parts,
            { mailbox, deviceKey: listedCk.key, ck: listedCk.ck },
            keys.blobKey,
            pacer(),
          )
        : null;
    if (!bundle) {
      await refuse(
        'A checkpoint at the relay did not open with this network’s key (damaged or forged); it was not used',
      );
      continue;
    }
    // Another way in may have brought entries meanwhile (a peer): then the history counts, not a checkpoint.
    if (!store.persistence.mayStartFromCheckpoint) return null;
    const { startFromBundle } = await import('../storage/checkpoint');
    const started = await startFromBundle(store, bundle);
    if (started.ok) {
      console.info(
        `Larder started from ${started.byName}'s checkpoint at the relay (${started.covered} entries counted in it)`,
      );
      return { by: started.by, covered: started.covered };
    }
    console.warn('A checkpoint at the relay was not used:', started.refusal);
    await refuse(`A checkpoint at the relay did not verify (${started.refusal.code}); it was not used`);
  }
  return null;
}

/**
 * Leaves a checkpoint of this device at the relay when it makes them (a coordinator's or an admin's), none
 * has been left for `everyMs`, and the doc has moved on since the last: made now, sealed in parts, each
 * signed. Null when none was due or none could be made; why the relay refused one, as a round's note.
 */
async function leaveCheckpoint(
  conn: RelayConnection,
  store: LarderStore,
  state: RelayStateRow,
  o: {
    mailbox: string;
    deviceKey: string;
    keys: RelayKeys;
    random: RandomBytes;
    maxPartBytes: number;
    now: number;
    make: ((store: LarderStore, now: number) => Promise<Uint8Array | null>) | undefined;
    everyMs: number;
  },
): Promise<{ parts: number; bytes: number } | { waiting: string; code: RelayNoteCode } | null> {
  const docState = Y.encodeStateVector(store.persistence.doc);
  const last = state.checkpoint;
  if (last && (o.now - last.at < o.everyMs || !hasNew(docState, last.state))) return null;
  const persistence = store.persistence;
  // Figures still being written (a rebuild, a backlog): a checkpoint would wait for them. Next round.
  if (persistence.rebuildProgress !== null || persistence.unprojected > 0) return null;
  // None from a device that makes none (a hub's): storeCheckpointBundle says so from the member list
  // before it reads any table.
  const bundle = o.make
    ? await o.make(store, o.now)
    : await import('../storage/checkpoint')
        .then(({ storeCheckpointBundle }) => storeCheckpointBundle(store, o.now))
        .then((made) => made?.bytes ?? null);
  // Tried, made or not: the next try waits as long as after one left.
  state.checkpoint = { at: o.now, state: docState };
  if (!bundle) return null;
  const ck = toBase64Url(o.random(16));
  let sealed: Uint8Array[];
  try {
    sealed = await sealRelayCheckpoint(
      bundle,
      { mailbox: o.mailbox, deviceKey: o.deviceKey, ck },
      o.keys.blobKey,
      o.random,
      o.maxPartBytes,
    );
  } catch (error) {
    console.warn('Larder could not leave its checkpoint at the relay', error);
    return null;
  }
  for (const [part, blob] of sealed.entries()) {
    const message = checkpointPartMessage(o.mailbox, o.deviceKey, ck, part, sealed.length, blobHash(blob));
    const signed = await store.signAsDevice(message);
    if (!signed) throw new RelayProblem('deviceKey', 'This device has no signing key');
    const answer = await conn.request(
      {
        type: 'checkpoint-put',
        key: o.deviceKey,
        ck,
        part,
        parts: sealed.length,
        blob: toBase64Url(blob),
        sig: signed.sig,
      },
      'checkpoint part',
    );
    if (answer.type !== 'checkpoint-ack') {
      // Tried again in a while (a budget spent by a large upload refills in a minute), not at every round:
      // making one takes seconds at a million entries.
      state.checkpoint = {
        at: o.now - o.everyMs + CHECKPOINT_RETRY_MS,
        state: last?.state ?? Y.encodeStateVector(new Y.Doc()),
      };
      return answer.type === 'refused'
        ? {
            waiting: `The relay did not take this device’s checkpoint: ${answer.message}`,
            code: noteOfRefusal(answer.code),
          }
        : { waiting: `Unexpected answer: ${answer.type}`, code: 'rejected' };
    }
  }
  state.checkpointLeftAt = o.now;
  return { parts: sealed.length, bytes: sealed.reduce((n, p) => n + p.byteLength, 0) };
}

/** A relay address: ws:// or wss://, by the sync servers' rules (the same an invite's relays follow). */
export function relayUrlProblem(url: string): string | null {
  if (!url) return 'Enter the address of a relay, such as ws://192.168.1.20:4455';
  if (!relayUrlSchema.safeParse(url).success)
    return 'A relay address starts with ws:// or wss://, such as ws://192.168.1.20:4455';
  return null;
}

/** The relays this device uses (none unless a person adds one, or the invite it joined with named some). */
export async function relayUrls(store: { readonly db: LarderDB }): Promise<string[]> {
  const row = await store.db.meta.get('relays');
  return row?.key === 'relays' ? row.urls : [];
}

/** Sets the relays this device uses (the caller restarts sync so the page may reach them). */
export async function saveRelayUrls(store: { readonly db: LarderDB }, urls: string[]): Promise<void> {
  await store.db.meta.put({ key: 'relays', urls });
}

export interface RelayStatus {
  url: string;
  /** When the last round ended, and how. */
  at: number | null;
  ok: boolean;
  received: number;
  sent: number;
  refused: number;
  /** The relay holds nothing for this network yet (and this device could not start its mailbox). */
  empty: boolean;
  /** Why an upload waits, or why the round failed, as the relay or the connection said it. */
  note: string | null;
  /** The same as a code, for the reader's words (null: a failure of another kind, `note` says it). */
  noteCode: RelayNoteCode | null;
  /** When this device last left a checkpoint at this relay, as far as its last round said. */
  checkpointLeftAt: number | null;
}

/** How often a running app does a round with each relay. */
export const RELAY_EVERY_MS = 30_000;

/**
 * Rounds with each configured relay while the app runs: when it starts, every RELAY_EVERY_MS, and on
 * demand ("Sync now"). One round at a time per relay; a failing relay only reports its error.
 */
export class RelayService {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running = new Map<string, Promise<void>>();
  private statuses = new Map<string, RelayStatus>();
  private readonly listeners = new Set<() => void>();
  private snapshot: RelayStatus[] = [];

  constructor(
    private readonly store: LarderStore,
    private readonly options: RelaySyncOptions = {},
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.syncNow(), RELAY_EVERY_MS);
    void this.syncNow();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A round with every relay now; resolves when all are done (errors are in the status). */
  async syncNow(): Promise<void> {
    if (!this.store.self?.chain) return;
    const urls = await relayUrls(this.store);
    for (const url of this.statuses.keys()) if (!urls.includes(url)) this.statuses.delete(url);
    await Promise.all(urls.map((url) => this.round(url)));
  }

  private round(url: string): Promise<void> {
    const current = this.running.get(url);
    if (current) return current;
    const run = syncWithRelay(this.store, url, this.options)
      .then((r) =>
        this.set(url, {
          url,
          at: Date.now(),
          ok: !r.waiting && r.refused === 0,
          received: r.downloaded,
          sent: r.uploaded,
          refused: r.refused,
          empty: !r.mailbox,
          note: r.waiting,
          noteCode: r.waitingCode,
          checkpointLeftAt: r.checkpointLeftAt,
        }),
      )
      .catch((e: unknown) =>
        this.set(url, {
          url,
          at: Date.now(),
          ok: false,
          received: 0,
          sent: 0,
          refused: 0,
          empty: false,
          note: e instanceof Error ? e.message : String(e),
          // A socket that could not even open (refused, unreachable, blocked) closes without a word.
          noteCode: e instanceof RelayProblem ? e.code : null,
          checkpointLeftAt: this.statuses.get(url)?.checkpointLeftAt ?? null,
        }),
      )
      .finally(() => this.running.delete(url));
    this.running.set(url, run);
    return run;
  }

  private set(url: string, status: RelayStatus): void {
    this.statuses.set(url, status);
    this.snapshot = [...this.statuses.values()];
    for (const l of this.listeners) l();
  }

  status(): RelayStatus[] {
    return this.snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
