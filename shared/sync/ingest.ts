import * as Y from 'yjs';
import { HEADS, headsClientId, LEDGERS, MEMBERS } from '../doc';
import {
  answerFromSkeleton,
  deletesHistory,
  HistoryLeftOutError,
  namesLeftOut,
  type Rewritten,
  historyIn,
  rewriteIntoHoles,
  skeletonOf,
  tookRewritten,
} from './skeleton';
import {
  headDeviceOf,
  headKeyOf,
  type HeadCheck,
  type HeadToVerify,
  type SettingToVerify,
} from './headCheck';
import {
  isEnvelope,
  parseCopyKey,
  parseVersionKey,
  SETTING_COPIES,
  SETTING_MAPS,
  SETTING_VERSIONS,
  type SettingMap,
  type SignedSetting,
} from '../trust/settings';
import { msg, type DomainMessage } from '../messages';

/**
 * The one door through which peer data (live sync, sync files) enters a network's doc. Peer data is
 * untrusted: an update is checked against the local doc before Yjs sees it, and refused whole, without
 * touching the doc, when
 *
 * - its bytes do not decode as a Yjs update (v1), or are structurally unsound in a way Yjs does not check
 *   and would trip over halfway through applying it (an empty struct, a struct that depends on a later
 *   clock of its own client, absurd clocks), or hold an embedded sub-document (Larder never makes one);
 * - its delete set covers an item of a ledger: an entry in a device's ledger array, or a device's ledger
 *   array itself (ledger entries are immutable: a reversal undoes an entry, nothing ever deletes one);
 * - it writes a device's slot in `ledgers` that already holds a ledger here: in a Y.Map, a second value
 *   under a key deletes the first (or itself) as it integrates, without any delete set, so this would
 *   replace that device's whole ledger;
 * - it deletes clocks of this doc's own Yjs client, or of the client its signed heads are written under,
 *   that it has not used yet (Yjs would park the range and delete this device's next entries, or its next
 *   head, with it);
 * - it re-sends a struct this doc holds the start of, with a new part that claims another place than the
 *   local part (Yjs links the new part next to the local part whatever the struct says: into another
 *   type's list, or replacing a map value, which can delete a ledger entry or corrupt a ledger's length).
 *
 * Yjs holds back (as pending) structs whose dependencies have not arrived and deletes of items not here
 * yet, and retries them during the next apply; the checks therefore cover the incoming update together
 * with what is pending. Pending data that would do harm with it is dropped (it lives only in memory, and a
 * later sync brings again whatever this device lacks), never applied.
 *
 * What this guarantees: nothing already in this device's ledgers is ever deleted or replaced by an
 * ingested update, and an update the checks refuse leaves the doc exactly as it was (Yjs never sees it).
 * New ledger data arriving already deleted (a peer whose own ledger lost entries) is refused as well. An
 * accepted update that brings nothing new changes no content (Yjs may still split a struct in two or
 * define an empty root type while reading it). Y.encodeStateAsUpdate includes what is pending: exports
 * use encodeAppliedState below, so they never pass on data this device has not applied.
 *
 * What it cannot do: tell a forged entry appended to a device's ledger by another holder of the network key
 * from a real one (entries are not signed; the projection only sets aside entries that claim another device
 * or are malformed, under Problems); stop a key holder from claiming Yjs client ids and clocks other
 * devices will use later; bound the memory or time a huge but well-formed update costs. The checks cover
 * updates that come through here: code that calls Y.applyUpdate on the doc directly bypasses them.
 *
 * Partial application. Y.applyUpdate reads every struct before it integrates any, then integrates, then
 * reads and applies the delete set, all in one transaction. A decoding error in the struct part would
 * throw before any change; one in the delete set, or an inconsistency found while integrating, would
 * throw after some structs are in the doc, and Yjs would still emit those as an update (which
 * DocPersistence stores). The checks below run the same decoder over the whole update first and refuse
 * every inconsistency Yjs would throw on, so an accepted update applies completely. Should Yjs still throw
 * (an app observer throwing, running out of memory), the result says whether the doc changed: whatever it
 * did apply is consistent Yjs data, recorded and projected like any other change.
 */

export type IngestResult =
  | {
      ok: true;
      changed: boolean;
      /**
       * Part of what this device has received waits for changes it has not received yet (held in memory
       * by Yjs, applied when they arrive; a later sync brings it again if the app restarts first).
       */
      pending?: boolean;
    }
  | {
      ok: false;
      message: DomainMessage;
      /** What Yjs said when it threw, for logs (never shown: it is a library's English). */
      detail?: string;
      /** Yjs threw after it had applied (part of) the update: that part is in the doc and is being saved. */
      applied?: boolean;
    };

export type UpdateCheck = { ok: true } | { ok: false; message: DomainMessage };

export const INGEST_MESSAGES = {
  malformed: msg('update.malformed'),
  subdocument: msg('update.subdocument'),
  deletesLedger: msg('update.deletesLedger'),
  badSetting: (key: string) => msg('update.badSetting', { key }),
  badHead: (device: string) => msg('update.badHead', { device }),
  contradicts: msg('update.contradicts'),
  replacesLedger: (device: string) => msg('update.replacesLedger', { device }),
} as const;

/** No real device gets near this many operations; larger clocks only come from corrupt or hostile data. */
const MAX_CLOCK = 2 ** 40;
/** Deeper nesting of shared types than Larder's two levels is refused past this (the checks recurse). */
const MAX_DEPTH = 64;

type Decoded = ReturnType<typeof Y.decodeUpdate>;
type Struct = Decoded['structs'][number];
type Refusal = { ok: false; message: DomainMessage; detail?: string };
const refuse = (message: DomainMessage, detail?: string): Refusal =>
  detail === undefined ? { ok: false, message } : { ok: false, message, detail };

/**
 * How many signed setting values (envelopes) an update carries, wherever they would go; 0 for bytes Yjs
 * cannot read (the door refuses those). Each costs the door a signature verified on the page.
 */
export function envelopesIn(update: Uint8Array): number {
  const r = decodeChecked(update, false);
  if (!r.ok) return 0;
  let n = 0;
  for (const s of r.decoded.structs)
    if (s instanceof Y.Item && s.content instanceof Y.ContentAny)
      for (const value of s.content.arr) if (isEnvelope(value)) n++;
  return n;
}

/** Checks, without a doc, that bytes are an update Yjs can apply without failing halfway. */
export function checkUpdateBytes(update: Uint8Array): UpdateCheck {
  const r = decodeChecked(update, false);
  return r.ok ? { ok: true } : r;
}

function decodeChecked(update: Uint8Array, v2: boolean): { ok: true; decoded: Decoded } | Refusal {
  if (!(update instanceof Uint8Array)) return refuse(INGEST_MESSAGES.malformed);
  let decoded: Decoded;
  try {
    decoded = v2 ? Y.decodeUpdateV2(update) : Y.decodeUpdate(update);
  } catch {
    return refuse(INGEST_MESSAGES.malformed);
  }
  const problem = structuralProblem(decoded);
  return problem ? refuse(problem) : { ok: true, decoded };
}

/**
 * `update` decoded and checked as the doc will take it: as it is, or, when the doc was started from a skeleton
 * and the update names a value it left out, rewritten (`rewriteIntoHoles`: decoded again only then).
 */
function decodeForDoc(
  doc: Y.Doc,
  update: Uint8Array,
): { ok: true; decoded: Decoded; rewritten: Rewritten | null } | Refusal {
  const decoded = decodeChecked(update, false);
  if (!decoded.ok) return decoded;
  if (!namesLeftOut(doc, decoded.decoded.structs)) return { ...decoded, rewritten: null };
  const rewritten = rewriteIntoHoles(doc, update);
  if (!rewritten) return { ...decoded, rewritten: null };
  const again = decodeChecked(rewritten.update, false);
  return again.ok ? { ...again, rewritten } : again;
}

/**
 * What Yjs assumes of an update without checking, and would throw on (or corrupt its struct store with)
 * while integrating: every struct non-empty; each client's structs in one contiguous run, as every Yjs
 * encoder writes them (Yjs keeps only the last run of a repeated client); an item's origin, right origin
 * and parent, when of its own client, earlier than the item (Yjs looks them up unchecked); delete ranges
 * non-empty and in order.
 */
function structuralProblem({ structs, ds }: Decoded): DomainMessage | null {
  const seen = new Set<number>();
  let previous: Struct | null = null;
  for (const s of structs) {
    const { client, clock } = s.id;
    if (!(s.length >= 1) || clock + s.length > MAX_CLOCK) return INGEST_MESSAGES.malformed;
    if (!previous || previous.id.client !== client) {
      if (seen.has(client)) return INGEST_MESSAGES.malformed;
      seen.add(client);
    } else if (previous.id.clock + previous.length !== clock) return INGEST_MESSAGES.malformed;
    previous = s;
    if (!(s instanceof Y.Item)) continue;
    if (s.content instanceof Y.ContentDoc) return INGEST_MESSAGES.subdocument;
    for (const dep of [s.origin, s.rightOrigin, s.parent instanceof Y.ID ? s.parent : null]) {
      if (dep && dep.client === client && dep.clock >= clock) return INGEST_MESSAGES.malformed;
    }
  }
  // Delete ranges: non-empty, and per client in order without overlaps, as Yjs writes them. Yjs re-encodes
  // the part it cannot apply yet and throws on an empty range (after integrating the structs), or
  // silently garbles an unordered one.
  for (const ranges of ds.clients.values()) {
    let end = 0;
    for (const r of ranges) {
      if (!(r.len >= 1) || r.clock < end || r.clock + r.len > MAX_CLOCK) return INGEST_MESSAGES.malformed;
      end = r.clock + r.len;
    }
  }
  return null;
}

/** Where an item sits, as far as the ledger rules care. */
type Place =
  | { kind: 'slot'; device: string } // a device's value in `ledgers` (its ledger array)
  | { kind: 'entry'; device: string } // an item inside a device's ledger array
  | { kind: 'member' } // an operation of the signed member list (the root `members` array)
  | { kind: 'head'; device: string } // a device's signed head (the root `heads` map)
  | { kind: 'setting'; key: string } // a value of a settings map (`map/key`)
  | { kind: 'other' } // anywhere else
  | { kind: 'gc' } // Yjs will turn it into a GC struct: it lands nowhere
  | { kind: 'missing' } // depends on something not here yet: Yjs keeps it pending
  | { kind: 'cycle' }; // its dependencies loop: only a malformed update does that

/** A shared type of the doc (what `doc.share` holds). */
type SharedType = NonNullable<ReturnType<Y.Doc['share']['get']>>;

/** The parent type an incoming item would get: a local type, a root not defined here yet, or a new type. */
type Parent =
  { kind: 'type'; type: SharedType } | { kind: 'root'; name: string } | { kind: 'new'; item: Y.Item };
type Resolved = { kind: 'at'; parent: Parent; sub: string | null } | { kind: 'gc' | 'missing' | 'cycle' };

const SETTING_ROOTS: ReadonlySet<string> = new Set([...SETTING_MAPS, SETTING_COPIES, SETTING_VERSIONS]);

/**
 * The setting a setting path holds (`map/key`; a writer's version `settingVersions/map/device/at/key`;
 * an old-style copy `settingCopies/map/device/key`), as its writer signed it; null for a version or copy
 * path no device writes.
 */
function settingOf(path: string): { map: SettingMap; key: string } | null {
  const at = path.indexOf('/');
  const map = path.slice(0, at);
  if (map === SETTING_VERSIONS) return parseVersionKey(path.slice(at + 1));
  if (map === SETTING_COPIES) return parseCopyKey(path.slice(at + 1));
  return { map: map as SettingMap, key: path.slice(at + 1) };
}

const VERSIONS_PREFIX = `${SETTING_VERSIONS}/`;

/** Where an item ends, as the origin of the item placed right after it names it. */
const lastIdKey = (s: Y.Item) => `${s.id.client}:${s.id.clock + s.length - 1}`;

/**
 * Whether values placed at a setting path may be there: a writer's version holds the one envelope its
 * writer signed at that time; an old-style copy, only what its writer signed; a map, anything signed.
 */
function inItsPlace(path: string, values: readonly SignedSetting[]): boolean {
  if (path.startsWith(VERSIONS_PREFIX)) {
    const version = parseVersionKey(path.slice(VERSIONS_PREFIX.length));
    return (
      !!version && values.length === 1 && values[0]!.by === version.device && values[0]!.at === version.at
    );
  }
  if (!path.startsWith(`${SETTING_COPIES}/`)) return true;
  const copy = parseCopyKey(path.slice(SETTING_COPIES.length + 1));
  return !!copy && values.every((v) => v.by === copy.device);
}

const OTHER: Place = { kind: 'other' };
const MEMBER: Place = { kind: 'member' };
const GC = { kind: 'gc' } as const;
const MISSING = { kind: 'missing' } as const;
const CYCLE = { kind: 'cycle' } as const;
const isLedger = (p: Place): p is { kind: 'slot' | 'entry'; device: string } =>
  p.kind === 'slot' || p.kind === 'entry';
/** Ledgers and the member list are append-only: nothing in them is ever deleted. */
const isAppendOnly = (p: Place): boolean => isLedger(p) || p.kind === 'member';

class TooDeep extends Error {}

/**
 * The structs of one or more decoded updates, by client, and where each would land in the local doc.
 * Lookups prefer the local store (Yjs skips what it already has), then the sources in order (the
 * incoming update before Yjs's pending structs, the order Yjs integrates them in).
 */
class Checker {
  private readonly runs = new Map<number, (Y.Item | Y.GC)[][]>();
  private readonly resolved = new Map<Y.Item, Resolved>();
  private readonly store: Y.Doc['store'];
  private readonly share: Y.Doc['share'];
  private readonly ledgers: ReturnType<Y.Doc['share']['get']>;
  private readonly members: ReturnType<Y.Doc['share']['get']>;
  private readonly heads: ReturnType<Y.Doc['share']['get']>;
  private readonly settingRoots = new Map<unknown, string>();
  /** What the doc left out, if it was started from a skeleton: ledger values it holds as GC structs. */
  private readonly skeleton: ReturnType<typeof skeletonOf>;
  private readonly clientID: number;
  /** The client this doc's signed heads are written under (shared/doc.ts `putHead`). */
  private readonly headsClient: number;

  constructor(
    doc: Y.Doc,
    private readonly sources: readonly Decoded[],
    private readonly headCheck: HeadCheck | null = headChecks.get(doc) ?? null,
  ) {
    this.store = doc.store;
    this.share = doc.share;
    this.skeleton = skeletonOf(doc);
    this.clientID = doc.clientID;
    this.headsClient = headsClientId(doc);
    this.ledgers = doc.share.get(LEDGERS);
    this.members = doc.share.get(MEMBERS);
    this.heads = doc.share.get(HEADS);
    for (const name of SETTING_ROOTS) {
      const type = doc.share.get(name);
      if (type) this.settingRoots.set(type, name);
    }
    for (const { structs } of sources) {
      const byClient = new Map<number, (Y.Item | Y.GC)[]>();
      for (const s of structs) {
        if (s instanceof Y.Skip) continue;
        let run = byClient.get(s.id.client);
        if (!run) byClient.set(s.id.client, (run = []));
        run.push(s);
      }
      for (const [client, run] of byClient) {
        let list = this.runs.get(client);
        if (!list) this.runs.set(client, (list = []));
        list.push(run);
      }
    }
  }

  private state(client: number): number {
    return Y.getState(this.store, client);
  }

  private localStruct(id: Y.ID): Y.Item | Y.GC | null {
    if (id.clock >= this.state(id.client)) return null;
    const structs = this.store.clients.get(id.client)!;
    return structs[Y.findIndexSS(structs, id.clock)] ?? null;
  }

  private isLocal(s: Y.Item | Y.GC): boolean {
    return this.localStruct(s.id) === s;
  }

  /** The first struct of a run that ends after `clock`, by binary search. */
  private static firstEndingAfter(run: readonly (Y.Item | Y.GC)[], clock: number): number {
    let lo = 0;
    let hi = run.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = run[mid]!;
      if (s.id.clock + s.length <= clock) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private updateStruct(id: Y.ID): Y.Item | Y.GC | null {
    for (const run of this.runs.get(id.client) ?? []) {
      const s = run[Checker.firstEndingAfter(run, id.clock)];
      if (s && s.id.clock <= id.clock) return s;
    }
    return null;
  }

  private struct(id: Y.ID): Y.Item | Y.GC | null {
    return this.localStruct(id) ?? this.updateStruct(id);
  }

  /**
   * The parent an incoming item would get, following Item.getMissing: an item with neither origin
   * encodes its parent (a root type's name, or the id of the item holding the parent type); otherwise it
   * takes its left neighbour's parent and key (its right neighbour's when it has no left one), and becomes
   * a GC struct when either neighbour is one, or when its parent item holds no type. Chains of neighbours
   * are followed iteratively.
   */
  private resolve(start: Y.Item): Resolved {
    // Stryker disable next-line ArrayDeclaration: the chain only fills the memo below, and a text in it is never looked up
    const chain: Y.Item[] = [];
    const onChain = new Set<Y.Item>();
    let item = start;
    let result: Resolved;
    for (;;) {
      const known = this.resolved.get(item);
      // Stryker disable next-line ConditionalExpression,BlockStatement: a memo: resolving the chain again gives the same place
      if (known) {
        result = known;
        break;
      }
      if (onChain.has(item)) {
        result = CYCLE;
        break;
      }
      onChain.add(item);
      chain.push(item);
      const left = item.origin ? this.struct(item.origin) : null;
      const right = item.rightOrigin ? this.struct(item.rightOrigin) : null;
      const parentId = item.parent instanceof Y.ID ? item.parent : null;
      const parentItem = parentId ? this.struct(parentId) : null;
      if ((item.origin && !left) || (item.rightOrigin && !right) || (parentId && !parentItem)) {
        result = MISSING;
        break;
      }
      if (left instanceof Y.GC || right instanceof Y.GC) {
        result = GC;
        break;
      }
      const next = left ?? right;
      if (next instanceof Y.Item) {
        if (this.isLocal(next)) {
          result = {
            kind: 'at',
            parent: { kind: 'type', type: next.parent as SharedType },
            sub: next.parentSub,
          };
          break;
        }
        item = next;
        continue;
      }
      const rawParent: unknown = item.parent;
      if (typeof rawParent === 'string') {
        // Decoded updates name a root type by its key.
        const type = this.share.get(rawParent);
        result = {
          kind: 'at',
          parent: type ? { kind: 'type', type } : { kind: 'root', name: rawParent },
          sub: item.parentSub,
        };
        break;
      }
      if (parentItem instanceof Y.Item && parentItem.content instanceof Y.ContentType) {
        const parent: Parent = this.isLocal(parentItem)
          ? { kind: 'type', type: parentItem.content.type as SharedType }
          : { kind: 'new', item: parentItem };
        result = { kind: 'at', parent, sub: item.parentSub };
        break;
      }
      result = GC; // a parent that is a GC struct or holds no type
      break;
    }
    for (const c of chain) this.resolved.set(c, result);
    return result;
  }

  /** Where a local item is: its parent is already resolved to a type. */
  private localPlace(item: Y.Item): Place {
    return this.placeIn(item.parent as SharedType, item.parentSub);
  }

  private placeIn(type: SharedType, sub: string | null): Place {
    const ledgers = this.ledgers;
    if (type === this.members && sub === null) return MEMBER;
    if (type === this.heads && sub !== null) return { kind: 'head', device: sub };
    if (sub !== null && this.settingRoots.has(type))
      return { kind: 'setting', key: `${this.settingRoots.get(type)}/${sub}` };
    if (!ledgers) return OTHER;
    if (type === ledgers) return sub !== null ? { kind: 'slot', device: sub } : OTHER;
    const owner = type._item;
    if (owner && owner.parent === ledgers && owner.parentSub !== null)
      return { kind: 'entry', device: owner.parentSub };
    return OTHER;
  }

  /** Where an incoming item would land. */
  place(item: Y.Item, depth = 0): Place {
    if (depth > MAX_DEPTH) throw new TooDeep();
    if (this.isLocal(item)) return this.localPlace(item);
    const r = this.resolve(item);
    if (r.kind !== 'at') return r;
    const { parent, sub } = r;
    switch (parent.kind) {
      case 'type':
        return this.placeIn(parent.type, sub);
      case 'root':
        if (parent.name === MEMBERS && sub === null) return MEMBER;
        if (parent.name === HEADS && sub !== null) return { kind: 'head', device: sub };
        if (sub !== null && SETTING_ROOTS.has(parent.name))
          return { kind: 'setting', key: `${parent.name}/${sub}` };
        return parent.name === LEDGERS && sub !== null ? { kind: 'slot', device: sub } : OTHER;
      case 'new': {
        const owner = this.place(parent.item, depth + 1);
        if (owner.kind === 'slot') return { kind: 'entry', device: owner.device };
        return owner.kind === 'cycle' || owner.kind === 'missing' ? owner : OTHER;
      }
    }
  }

  /**
   * A struct whose start this doc already has, but not its end: Yjs integrates only the new part, to the
   * right of the local item just before it, keeping the parent the struct itself names. The two agree in
   * any real update (both are the same run of one client); when they do not, Yjs links the item into
   * another type's list, or deletes the neighbour as a replaced map value, or throws on a GC neighbour.
   */
  private straddlesWrongly(s: Y.Item): boolean {
    const state = this.state(s.id.client);
    if (!(s.id.clock < state && state < s.id.clock + s.length)) return false;
    const r = this.resolve(s);
    if (r.kind !== 'at') return r.kind === 'cycle';
    const before = this.localStruct(Y.createID(s.id.client, state - 1));
    if (!(before instanceof Y.Item)) return true;
    return !(r.parent.kind === 'type' && r.parent.type === before.parent && r.sub === before.parentSub);
  }

  private hasNewPart(s: Y.Item | Y.GC): boolean {
    return s.id.clock + s.length > this.state(s.id.client);
  }

  /**
   * Keys of the devices, from the member list here and the member operations arriving: a device id is the
   * hash of its key, so any operation naming a key names its device (shared/trust/members.ts).
   */
  private keysCache: Map<string, string> | null = null;
  private keys(): Map<string, string> {
    // Stryker disable next-line ConditionalExpression: the cache only saves time (the keys are read again the same)
    if (this.keysCache) return this.keysCache;
    const keys = new Map<string, string>();
    const take = (value: unknown) => {
      const found = headKeyOf(value);
      if (found) keys.set(found.device, found.key);
    };
    if (this.members instanceof Y.AbstractType)
      for (let item = this.members._start; item; item = item.right)
        if (!item.deleted && item.content instanceof Y.ContentAny) item.content.arr.forEach(take);
    for (const list of this.runs.values())
      for (const run of list)
        for (const st of run)
          if (st instanceof Y.Item && st.content instanceof Y.ContentAny && this.place(st).kind === 'member')
            st.content.arr.forEach(take);
    this.keysCache = keys;
    return keys;
  }

  /** The head a device has here now, if it is well formed (its sequence number). */
  private localHeadSeq(device: string): number {
    const item = this.heads instanceof Y.AbstractType ? this.heads._map.get(device) : undefined;
    if (!item || item.deleted || !(item.content instanceof Y.ContentAny)) return 0;
    const value = item.content.arr[0];
    return Array.isArray(value) && Number.isInteger(value[0]) ? (value[0] as number) : 0;
  }

  /**
   * A device's head may only be replaced by a newer one its own key signed: otherwise any key holder could
   * overwrite (and so hide) another device's signed head. A head whose device key is not known here yet
   * cannot be judged, and is let through; the gate verifies every head again before it counts anything.
   */
  private headProblem(s: Y.Item, device: string, check: HeadCheck): DomainMessage | null {
    if (s.content instanceof Y.ContentDeleted) return null; // an earlier head, already replaced
    if (!(s.content instanceof Y.ContentAny) || s.content.arr.length !== 1)
      return INGEST_MESSAGES.badHead(device);
    // `device` is the head's key in the map: after a restart, `<id>/<n>` (shared/trust/chain.ts).
    const key = this.keys().get(headDeviceOf(device));
    if (!key) return null;
    const value = s.content.arr[0];
    if (!check.verify(device, key, value, this.localHeadSeq(device))) return INGEST_MESSAGES.badHead(device);
    return null;
  }

  /**
   * Whether an update would leave a setting or head without a value: a signed value is replaced, never
   * removed. A key holder could otherwise send an item that arrives deleted (its content collected, or in
   * the update's delete set), placed after the current value: the value is deleted as the item
   * integrates, and the key is empty on every replica. So where a key holds a value, here or in the
   * update, its value once the update is in (worked out as Yjs places map items: `lastPlaced`) must be
   * live; a writer's version may go only where a newer version of the same writer and setting stays.
   *
   * Also, an item that arrives with its content and in a delete set (only from a sender that keeps deleted
   * content) must be followed by a new item of the same key that names it as origin: a value replaced
   * twice elsewhere, its halves arriving in either order. `keyed`: the new items of each key (none for a
   * version only deleted); `arrivesDeleted`: the items, new or held here, that the delete sets cover.
   */
  private emptiesKey(keyed: Map<string, Y.Item[]>, arrivesDeleted: Set<Y.Item>): DomainMessage | null {
    const gone = (s: Y.Item) => s.deleted || s.content instanceof Y.ContentDeleted || arrivesDeleted.has(s);
    const emptied: string[] = [];
    // Stryker disable next-line ArrayDeclaration: only version keys are read from it
    const placed: string[] = [];
    for (const [key, items] of keyed) {
      const refusal = key.startsWith(`${HEADS}/`)
        ? INGEST_MESSAGES.badHead(key.slice(HEADS.length + 1))
        : INGEST_MESSAGES.badSetting(key);
      const followed = new Set<string>();
      for (const s of items) if (s.origin) followed.add(`${s.origin.client}:${s.origin.clock}`);
      for (const s of items)
        if (arrivesDeleted.has(s) && !(s.content instanceof Y.ContentDeleted) && !followed.has(lastIdKey(s)))
          return refusal;
      const current = this.keyItem(key);
      const before = !!current && !current.deleted;
      if (!before && !items.some((s) => !gone(s))) continue;
      const last = lastPlaced(current, items);
      // Stryker disable next-line ConditionalExpression: never null here (see lastPlaced)
      if (!last) continue;
      placed.push(key);
      if (gone(last)) {
        if (!key.startsWith(VERSIONS_PREFIX)) return refusal;
        emptied.push(key);
      }
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with none emptied, the loop is empty
    if (emptied.length > 0) {
      const newest = this.newestVersions(placed);
      for (const key of emptied) {
        const it = parseVersionKey(key.slice(VERSIONS_PREFIX.length))!;
        // Stryker disable next-line EqualityOperator,UnaryOperator: no other version has its key's time
        if ((newest.get(`${it.map}/${it.device}/${it.key}`) ?? -1) <= it.at)
          return INGEST_MESSAGES.badSetting(key);
      }
    }
    return null;
  }

  /**
   * The time of the newest version of each writer and setting (`map/device/key`): here (live or not), or
   * in the update. Enough to judge the versions an update empties: the door never lets a writer's newest
   * version go, so the newest version here is live, and one removed here was older than another; the
   * newest version the update empties is refused unless a newer one (then live) stays, which covers the
   * others it empties.
   */
  private newestVersions(touched: Iterable<string>): Map<string, number> {
    const newest = new Map<string, number>();
    const note = (version: string) => {
      const it = parseVersionKey(version);
      // Stryker disable next-line ConditionalExpression: the door lets no other key into settingVersions
      if (!it) return;
      const at = `${it.map}/${it.device}/${it.key}`;
      // Stryker disable next-line EqualityOperator,UnaryOperator: no two versions of a writer have one time; times are past 1
      if ((newest.get(at) ?? -1) < it.at) newest.set(at, it.at);
    };
    // Stryker disable next-line ConditionalExpression: another key cut there reads as no version
    for (const key of touched) if (key.startsWith(VERSIONS_PREFIX)) note(key.slice(VERSIONS_PREFIX.length));
    const versions = this.share.get(SETTING_VERSIONS);
    if (versions instanceof Y.AbstractType) for (const key of versions._map.keys()) note(key);
    return newest;
  }

  /** The item a root map holds under a key (`root/key`: a setting path, or `heads/device`), live or not. */
  private keyItem(path: string): Y.Item | undefined {
    const at = path.indexOf('/');
    const root = this.share.get(path.slice(0, at));
    return root instanceof Y.AbstractType ? root._map.get(path.slice(at + 1)) : undefined;
  }

  /** Whether this doc holds a live value for a setting (`map/key`). */
  private holdsSetting(path: string): boolean {
    const item = this.keyItem(path);
    return !!item && !item.deleted;
  }

  /**
   * Whether every value is signed by its writer's key. A writer whose key is not known here (a device
   * whose request has not arrived) passes only when `unknownOk` (its value counts for nothing until its
   * key arrives, and is judged again then).
   */
  private signedSetting(
    path: string,
    values: readonly unknown[],
    check: HeadCheck,
    // Stryker disable next-line BooleanLiteral: the one caller always passes unknownOk
    unknownOk = false,
  ): boolean {
    const setting = settingOf(path);
    if (!setting) return false;
    return values.every((value) => {
      if (!isEnvelope(value)) return false;
      const publicKey = this.keys().get(value.by);
      if (!publicKey) return unknownOk;
      return check.verifySetting(setting.map, setting.key, value, publicKey);
    });
  }

  /**
   * The signatures the check will verify (new setting values whose writer's key is known, new heads whose
   * device's key is), for `HeadCheck.prepareSettings` and `prepareHeads`; in steps, as the check.
   */
  *signaturesToVerify(
    every = CHECK_STEP,
  ): Generator<void, { settings: SettingToVerify[]; heads: HeadToVerify[] }> {
    const settings: SettingToVerify[] = [];
    const heads: HeadToVerify[] = [];
    let done = 0;
    for (const list of this.runs.values())
      for (const run of list)
        for (const s of run) {
          // Stryker disable next-line UpdateOperator: -n % every is -0 exactly when n % every is 0 (the same steps)
          if (++done % every === 0) yield;
          if (!(s instanceof Y.Item) || !(s.content instanceof Y.ContentAny) || !this.hasNewPart(s)) continue;
          const p = this.place(s);
          if (p.kind === 'head') {
            // As `headProblem` takes it.
            const key = this.keys().get(headDeviceOf(p.device));
            if (key && s.content.arr.length === 1)
              heads.push({ device: p.device, key, value: s.content.arr[0] });
            continue;
          }
          const setting = p.kind === 'setting' ? settingOf(p.key) : null;
          if (!setting) continue;
          for (const envelope of s.content.arr) {
            if (!isEnvelope(envelope)) continue;
            const publicKey = this.keys().get(envelope.by);
            if (publicKey) settings.push({ ...setting, envelope, publicKey });
          }
        }
    return { settings, heads };
  }

  /** The first reason to refuse, or null. */
  check(): DomainMessage | null {
    const steps = this.steps();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * The check, as steps: it stops every CHECK_STEP structs or delete ranges, so that a caller can let
   * the page run in between (`checkAgainstDocPaced`); its result is the generator's return value.
   */
  *steps(every = CHECK_STEP): Generator<void, DomainMessage | null> {
    let done = 0;
    const headCheck = this.headCheck;
    const newHeads = new Set<string>();
    const newSettings = new Set<string>();
    // The new items of each setting and head key, and those the sources' delete sets cover (checked last).
    const keyed = new Map<string, Y.Item[]>();
    const arrivesDeleted = new Set<Y.Item>();
    const ledgers = this.ledgers;
    // Deletes of this device's own clocks it has not used yet: no peer can know of such items. Parked by
    // Yjs as pending, they would delete this device's next entries as it records them.
    // So are those of the client its signed heads are written under (shared/doc.ts `putHead`): they would
    // delete its next head.
    for (const client of [this.clientID, this.headsClient]) {
      const own = this.sources.flatMap((s) => s.ds.clients.get(client) ?? []);
      const ownState = this.state(client);
      if (own.some((r) => r.clock + r.len > ownState)) return INGEST_MESSAGES.malformed;
    }
    // New values in `ledgers` under a key that already holds a live ledger here.
    for (const list of this.runs.values()) {
      for (const run of list) {
        for (const s of run) {
          // Stryker disable next-line UpdateOperator: -n % every is -0 exactly when n % every is 0 (the same steps)
          if (++done % every === 0) yield;
          if (!(s instanceof Y.Item) || !this.hasNewPart(s)) continue;
          if (this.straddlesWrongly(s)) return INGEST_MESSAGES.contradicts;
          const p = this.place(s);
          if (p.kind === 'cycle') return INGEST_MESSAGES.malformed;
          if ((p.kind === 'setting' || p.kind === 'head') && headCheck) {
            const key = p.kind === 'setting' ? p.key : `${HEADS}/${p.device}`;
            const items = keyed.get(key);
            if (items) items.push(s);
            else keyed.set(key, [s]);
          }
          if (p.kind === 'setting' && headCheck) {
            // Signed settings: a new value must at least be an envelope (its signature and the writer's
            // right are checked when it is projected); a cleared setting is a signed tombstone.
            if (!(s.content instanceof Y.ContentDeleted)) {
              if (!(s.content instanceof Y.ContentAny) || !s.content.arr.every(isEnvelope))
                return INGEST_MESSAGES.badSetting(p.key);
              // A writer's version or copy of a setting holds only what that writer signed.
              if (!inItsPlace(p.key, s.content.arr)) return INGEST_MESSAGES.badSetting(p.key);
              // Signed by its writer's own key (the writer's right is judged later): a forged value under
              // a known writer's name is refused even where this device holds none yet, or it could take
              // the genuine one's place (Yjs orders concurrent values by client id), and every later sync
              // from here to a device that holds the genuine one would be refused. A value replacing one
              // held here needs its writer's key known; a first one from a writer not known yet counts
              // for nothing until it is.
              if (!this.signedSetting(p.key, s.content.arr, headCheck, !this.holdsSetting(p.key)))
                return INGEST_MESSAGES.badSetting(p.key);
              newSettings.add(p.key);
            }
            continue;
          }
          if (p.kind === 'head' && headCheck) {
            const problem = this.headProblem(s, p.device, headCheck);
            if (problem) return problem;
            if (!(s.content instanceof Y.ContentDeleted)) newHeads.add(p.device);
            continue;
          }
          if (p.kind !== 'slot' || !ledgers) continue;
          const current = ledgers._map.get(p.device);
          const isItself =
            current &&
            current.id.client === s.id.client &&
            current.id.clock >= s.id.clock &&
            current.id.clock < s.id.clock + s.length;
          if (current && !current.deleted && !isItself) return INGEST_MESSAGES.replacesLedger(p.device);
        }
      }
    }
    // Delete sets: nothing in a ledger, here or arriving.
    for (const { ds } of this.sources) {
      for (const [client, ranges] of ds.clients) {
        const state = this.state(client);
        const local = this.store.clients.get(client);
        for (const { clock, len } of ranges) {
          // Stryker disable next-line UpdateOperator: -n % every is -0 exactly when n % every is 0 (the same steps)
          if (++done % every === 0) yield;
          const end = clock + len;
          // A ledger value left out is a GC struct here, which the walk below passes over.
          if (this.skeleton && deletesHistory(this.skeleton, client, clock, end))
            return INGEST_MESSAGES.deletesLedger;
          if (local && clock < state) {
            for (let i = Y.findIndexSS(local, clock); i < local.length; i++) {
              const s = local[i]!;
              if (s.id.clock >= end) break;
              if (!(s instanceof Y.Item) || s.deleted) continue;
              const place = this.localPlace(s);
              if (isAppendOnly(place)) return INGEST_MESSAGES.deletesLedger;
              // A head is deleted only by the newer head that replaces it, arriving with the delete.
              if (headCheck && place.kind === 'head' && !newHeads.has(place.device))
                return INGEST_MESSAGES.badHead(place.device);
              // A signed setting is replaced by a newer value, never deleted bare; a writer's version goes
              // once a newer one of its writer is in (checked with the rest, below).
              const version = place.kind === 'setting' && place.key.startsWith(VERSIONS_PREFIX);
              if (headCheck && place.kind === 'setting' && !version && !newSettings.has(place.key))
                return INGEST_MESSAGES.badSetting(place.key);
              if (place.kind === 'setting' || place.kind === 'head') arrivesDeleted.add(s);
              if (headCheck && version && !keyed.has(place.key)) keyed.set(place.key, []);
            }
          }
          const from = Math.max(clock, state);
          if (from >= end) continue;
          for (const run of this.runs.get(client) ?? []) {
            for (let i = Checker.firstEndingAfter(run, from); i < run.length; i++) {
              const s = run[i]!;
              if (s.id.clock >= end) break;
              if (!(s instanceof Y.Item)) continue;
              const p = this.place(s);
              if (p.kind === 'cycle') return INGEST_MESSAGES.malformed;
              if (isAppendOnly(p)) return INGEST_MESSAGES.deletesLedger;
              if (p.kind === 'setting' || p.kind === 'head') arrivesDeleted.add(s);
            }
          }
        }
      }
    }
    return this.emptiesKey(keyed, arrivesDeleted);
  }
}

/**
 * The item a map key's value would be once `incoming` items of that key integrate, `current` being its
 * value here (live or not). Map items name only a left origin (the value their writer replaced), so Yjs
 * places them as a tree: each item right after its origin, items of the same origin ordered by client id,
 * each followed by the items placed after it. The value is the last item of that order: from the first
 * items (no origin), the one of the largest client id, then the one after it of the largest client id,
 * and so on. Every origin is known: an item whose origin is not here is not placed (the update waits).
 */
function lastPlaced(current: Y.Item | undefined, incoming: readonly Y.Item[]): Y.Item | null {
  const after = new Map<string, Y.Item[]>();
  const originOf = (s: Y.Item) => (s.origin ? `${s.origin.client}:${s.origin.clock}` : '');
  const add = (s: Y.Item) => {
    const origin = originOf(s);
    const list = after.get(origin);
    if (list) list.push(s);
    else after.set(origin, [s]);
  };
  for (const s of incoming) add(s);
  // An item Yjs merged with the one after it (both deleted) is followed by the items after either part.
  const next = (s: Y.Item) => {
    const out: Y.Item[] = [];
    // Stryker disable next-line EqualityOperator: the clock past its end starts another item, never named as the origin of one of this key's
    for (let clock = s.id.clock; clock < s.id.clock + s.length; clock++)
      for (const t of after.get(`${s.id.client}:${clock}`) ?? []) out.push(t);
    return out;
  };
  // The same structs may be here twice, split differently: an update may overlap what this doc holds (made
  // from an older state vector), and a sender merges a run of replaced values into one deleted item. A
  // struct lying inside the item just walked is part of it, not a value after it; of two starting at the
  // same clock (one client places one item after another), the longer is walked, since it is followed by
  // the items after any of its clocks.
  const within = (s: Y.Item, of: Y.Item) =>
    s.id.client === of.id.client &&
    s.id.clock >= of.id.clock &&
    s.id.clock + s.length <= of.id.clock + of.length;
  const later = (a: Y.Item, b: Y.Item) =>
    // Stryker disable next-line ConditionalExpression,EqualityOperator: the new items are listed first, and a new one ends past any held here
    b.id.client !== a.id.client ? b.id.client > a.id.client : b.id.clock + b.length > a.id.clock + a.length;
  const descend = (from: Y.Item | null, first: Y.Item[]): Y.Item | null => {
    let last = from;
    const seen = new Set<Y.Item>();
    for (let list = first; ; list = next(last!)) {
      const following = last ? list.filter((s) => s === last || !within(s, last!)) : list;
      if (following.length === 0) break;
      last = following.reduce((a, b) => (later(a, b) ? b : a));
      // Stryker disable next-line ConditionalExpression: the check refuses an item whose origins loop (a cycle) before this
      if (seen.has(last)) return null;
      seen.add(last);
    }
    return last;
  };
  // The current value has no item after it here (it would be the value). When every new item follows it
  // or another new one (a value replaced: every save replaces its device's head), the value is found
  // among the new items alone: walking the key's whole history (a head's grows with every save) cost
  // 150-400 ms per update at 100,000 earlier values.
  // Stryker disable next-line ConditionalExpression,BlockStatement: without this shortcut, the walk below finds the same value, slower
  if (current) {
    const own = new Set<string>();
    // Stryker disable next-line ArrayDeclaration: fewer clocks here only sends more updates the slower way, to the same value
    for (const s of [current, ...incoming])
      // Stryker disable next-line ConditionalExpression,EqualityOperator,ArithmeticOperator: see above; the clock past the end is no item of this key's before it
      for (let clock = s.id.clock; clock < s.id.clock + s.length; clock++) own.add(`${s.id.client}:${clock}`);
    // Stryker disable next-line ConditionalExpression,ArrowFunction: false sends it the slower way, to the same value
    if (incoming.every((s) => own.has(originOf(s)))) return descend(current, next(current));
  }
  for (let s: Y.Item | null = current ?? null; s; s = s.left) add(s);
  // Stryker disable next-line ArrayDeclaration: a key's first item has no origin, so the list is never missing
  return descend(null, after.get('') ?? []);
}

/** How many structs (or delete ranges) the check looks at between two steps. */
const CHECK_STEP = 4_096;

function checkAgainstDoc(doc: Y.Doc, sources: readonly Decoded[]): DomainMessage | null {
  try {
    return new Checker(doc, sources).check();
  } catch {
    // TooDeep, or anything else unexpected in a hostile update: refuse rather than guess.
    return INGEST_MESSAGES.malformed;
  }
}

/**
 * What Yjs holds back from earlier updates (structs waiting for their dependencies, deletes of items not
 * here yet): it retries them during the next apply, so they are checked together with the next update.
 * Pending data that no longer decodes or is unsound is dropped: it lives only in memory, and a later sync
 * sends again whatever this device lacks.
 */
function pendingSources(doc: Y.Doc): Decoded[] {
  const store = doc.store;
  const out: Decoded[] = [];
  if (store.pendingStructs) {
    const r = decodeChecked(store.pendingStructs.update, true);
    if (r.ok) out.push(r.decoded);
    else store.pendingStructs = null;
  }
  if (store.pendingDs) {
    const r = decodeChecked(store.pendingDs, true);
    if (r.ok) out.push(r.decoded);
    else store.pendingDs = null;
  }
  return out;
}

/**
 * Whether Yjs would hold back part of this update: some struct follows a change (of its own device, or
 * the item it was inserted next to or into) that is neither in the doc nor earlier in the update. Yjs
 * would still apply the update's deletes at once, so a setting replaced by a held-back value (an item
 * edited on another device) would be missing until the rest arrived. Such updates wait whole instead.
 */
function wouldWait(doc: Y.Doc, decoded: Pick<Decoded, 'structs'>): boolean {
  const next = new Map<number, number>();
  const known = (client: number) => next.get(client) ?? Y.getState(doc.store, client);
  const byClient = new Map<number, Struct[]>();
  for (const s of decoded.structs) {
    let run = byClient.get(s.id.client);
    if (!run) byClient.set(s.id.client, (run = []));
    run.push(s);
  }
  const at = new Map<number, number>([...byClient.keys()].map((c) => [c, 0]));
  const ready = (s: Struct): boolean => {
    if (s.id.clock > known(s.id.client)) return false;
    if (!(s instanceof Y.Item)) return true;
    for (const dep of [s.origin, s.rightOrigin, s.parent instanceof Y.ID ? s.parent : null])
      if (dep && dep.client !== s.id.client && dep.clock >= known(dep.client)) return false;
    return true;
  };
  // Integrate in rounds, as Yjs does: whatever is ready; until nothing more is.
  for (let progress = true; progress;) {
    progress = false;
    for (const [client, run] of byClient) {
      let i = at.get(client)!;
      while (i < run.length) {
        const s = run[i]!;
        if (s instanceof Y.Skip) break;
        if (s.id.clock + s.length <= known(client)) {
          i++;
          continue;
        }
        if (!ready(s)) break;
        next.set(client, s.id.clock + s.length);
        i++;
        progress = true;
      }
      at.set(client, i);
    }
  }
  for (const [client, run] of byClient) {
    const rest = run.slice(at.get(client)!);
    if (rest.some((s) => !(s instanceof Y.Skip) && s.id.clock + s.length > known(client))) return true;
  }
  return false;
}

/** Signed networks register their head check per doc (see `guardHeads`). */
const headChecks = new WeakMap<Y.Doc, HeadCheck>();

/** On a signed network: a device's head may only be replaced by a newer head its own key signed. */
export function guardHeads(doc: Y.Doc, check: HeadCheck): void {
  headChecks.set(doc, check);
}

/** Updates waiting for changes that have not arrived yet, per doc (in memory: a later sync sends them again). */
const waiting = new WeakMap<Y.Doc, Uint8Array[]>();
/** Past this many bytes waiting, the oldest are dropped (a later sync brings them again). */
const MAX_WAITING_BYTES = 64 * 1024 * 1024;

function hold(doc: Y.Doc, update: Uint8Array): void {
  const list = waiting.get(doc) ?? [];
  list.push(update);
  let bytes = list.reduce((n, u) => n + u.byteLength, 0);
  while (bytes > MAX_WAITING_BYTES && list.length > 1) bytes -= list.shift()!.byteLength;
  waiting.set(doc, list);
}

/** Updates held back for this doc (tests and the sync screen may show how many). */
export function waitingUpdates(doc: Y.Doc): number {
  return waiting.get(doc)?.length ?? 0;
}

/** After a change: applies the held-back updates that can now be applied, until none can. */
function applyWaiting(doc: Y.Doc, origin: unknown): void {
  for (let progress = true; progress;) {
    progress = false;
    const list = waiting.get(doc) ?? [];
    for (const update of list) {
      const decoded = decodeForDoc(doc, update);
      if (decoded.ok && wouldWait(doc, decoded.decoded)) continue;
      list.splice(list.indexOf(update), 1);
      // Checked again against the doc as it is now; refused or not, it no longer waits.
      if (decoded.ok && !checkAgainstDoc(doc, [decoded.decoded])) {
        historyIn(doc, update, decoded.decoded.structs);
        applyChecked(doc, update, decoded.decoded, origin, decoded.rewritten);
      }
      progress = true;
      break;
    }
  }
}

/**
 * Applies an update from a peer or a sync file to the doc, or refuses it without touching the doc (see
 * the top of this file for what is refused and why). An update that builds on changes this device has
 * not received yet waits, whole, until they arrive (`pending`). Entries inside an accepted update are
 * validated later, when they are projected: invalid ones are set aside under Problems. Never throws.
 */
export function ingestUpdate(doc: Y.Doc, update: Uint8Array, origin: unknown): IngestResult {
  // A large update is being taken in steps: this one waits for it, and is checked against what it left.
  if (large.has(doc)) {
    hold(doc, update);
    return { ok: true, changed: false, pending: true };
  }
  // Values appended after one a doc started from a skeleton left out: taken rewritten (skeleton.ts).
  const incoming = decodeForDoc(doc, update);
  if (!incoming.ok) return incoming;
  const problem = checkAgainstDoc(doc, [incoming.decoded]);
  if (problem) return refuse(problem);
  if (wouldWait(doc, incoming.decoded)) {
    hold(doc, update);
    return { ok: true, changed: false, pending: true };
  }
  // History a checkpoint's skeleton left out, which Yjs skips as held: to disk, for a device that lacks it.
  historyIn(doc, update, incoming.decoded.structs);
  const result = applyChecked(doc, update, incoming.decoded, origin, incoming.rewritten);
  if (result.ok && result.changed) applyWaiting(doc, origin);
  return result.ok ? { ...result, pending: result.pending || waitingUpdates(doc) > 0 } : result;
}

/** What an apply that Yjs threw on reports: applied in part (`changed`) or refused whole. */
function failedApply(error: unknown, changed: boolean): IngestResult {
  const why = error instanceof Error ? error.message : String(error);
  if (changed) return { ok: false, applied: true, message: msg('update.failedAfter'), detail: why };
  return refuse(msg('update.failed'), why);
}

/**
 * Applies an update that passed checkAgainstDoc against the doc as it is now: `update` itself, or, when the
 * doc was started from a skeleton and could not take it as it is, `rewritten` (the doc's listeners are handed
 * `update`, as it was written).
 */
function applyChecked(
  doc: Y.Doc,
  update: Uint8Array,
  decoded: Decoded,
  origin: unknown,
  rewritten: Rewritten | null = null,
): IngestResult {
  const pending = pendingSources(doc);
  // Held-back data that would now do harm together with this update is dropped, not this update.
  if (pending.length > 0 && checkAgainstDoc(doc, [decoded, ...pending])) {
    doc.store.pendingStructs = null;
    doc.store.pendingDs = null;
  }
  if (rewritten) {
    const applied = applyPiece(doc, rewritten.update, origin, update);
    if (applied.error !== undefined) return failedApply(applied.error, applied.changed);
    if (applied.changed) tookRewritten(doc, update, rewritten);
    return {
      ok: true,
      changed: applied.changed,
      pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null,
    };
  }
  // Yjs emits 'update' only for a transaction that changed something (new structs or deletes).
  let changed = false;
  const onUpdate = () => {
    changed = true;
  };
  doc.on('update', onUpdate);
  try {
    Y.applyUpdate(doc, update, origin);
  } catch (error) {
    return failedApply(error, changed);
  } finally {
    doc.off('update', onUpdate);
  }
  return { ok: true, changed, pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null };
}

/**
 * The doc's state as an update, without what Yjs holds back as pending. Y.encodeStateAsUpdate adds the
 * pending structs and deletes to what it encodes: data this device has received but not applied, and so
 * not vouched for (a delete parked for items that have not arrived would reach peers that have them).
 * Exports use this, so a file holds exactly what the state vector next to it describes.
 */
/** An empty state vector: a receiver that has nothing. */
const NO_STATE = Uint8Array.of(0);

export function encodeAppliedState(doc: Y.Doc, targetStateVector?: Uint8Array): Uint8Array {
  const store = doc.store;
  const { pendingStructs, pendingDs } = store;
  store.pendingStructs = null;
  store.pendingDs = null;
  try {
    // A doc started from a skeleton answers as the whole doc would, or not at all (shared/sync/skeleton.ts).
    const skeleton = skeletonOf(doc);
    if (!skeleton) return Y.encodeStateAsUpdate(doc, targetStateVector);
    const answer = answerFromSkeleton(doc, skeleton, targetStateVector ?? NO_STATE);
    if (!answer) throw new HistoryLeftOutError('the receiver lacks history this doc left out (its skeleton)');
    return answer;
  } finally {
    store.pendingStructs = pendingStructs;
    store.pendingDs = pendingDs;
  }
}

/** Docs taking large updates in steps (`ingestLarge`): how many are running or queued, and the last. */
const large = new WeakMap<Y.Doc, { runs: number; tail: Promise<unknown> }>();

/** Whether a large update is being taken into this doc (or waits its turn). */
export function ingestBusy(doc: Y.Doc): boolean {
  return large.has(doc);
}

/** Resolves once no large update is being taken into this doc. */
export async function ingestIdle(doc: Y.Doc): Promise<void> {
  for (let state = large.get(doc); state; state = large.get(doc)) await state.tail;
}

/** Per doc: parts of a state in parts that were asked for and have not arrived yet (`expectMore`). */
const expected = new WeakMap<Y.Doc, Set<Promise<void>>>();

/**
 * Says that more of a peer's state in parts is on its way (renderer/sync/guardedSync.ts asks for the next
 * part once one is in): `ingestSettled` waits for it too, until `arrived` settles (the next part is being
 * taken, the peer will not send it, or too long has passed).
 */
export function expectMore(doc: Y.Doc, arrived: Promise<void>): void {
  let waiting = expected.get(doc);
  if (!waiting) expected.set(doc, (waiting = new Set()));
  const set = waiting;
  set.add(arrived);
  void arrived.then(() => {
    set.delete(arrived);
    // The map holds this set until it is empty, so it is still the one there.
    if (set.size === 0) expected.delete(doc);
  });
}

/**
 * Resolves once no large update is being taken into this doc and no part of a state in parts is on its way:
 * a device that gets a whole network in parts weighs catching up by a rebuild once, on all of it.
 */
export async function ingestSettled(doc: Y.Doc): Promise<void> {
  for (;;) {
    await ingestIdle(doc);
    const waiting = expected.get(doc);
    if (!waiting) return;
    await Promise.all(waiting);
  }
}

export interface LargeIngest {
  /**
   * Cuts an update into pieces: updates of their own that together hold exactly its structs and
   * deletes (renderer/storage/pieces.ts, in a worker). All at once, or a batch at a time as they are made
   * (each batch is decoded while the next is cut). Throws on bytes it cannot read.
   */
  cut: (update: Uint8Array) => Promise<Uint8Array[]> | AsyncIterable<Uint8Array[]>;
  /** Awaited between steps: lets other tasks run (shared/pace.ts `pacer`). */
  pause: () => Promise<void>;
  /** How many structs the check looks at between two pauses (default CHECK_STEP). */
  checkStep?: number;
}

/** How many times the check starts again because the doc changed meanwhile before it runs in one go. */
const CHECK_TRIES = 3;

/**
 * Takes a large update (a new device's first sync, a sync file of a whole network) without holding the
 * page for seconds: the update is cut into pieces off the page, each piece decoded in a step of its own,
 * all of them checked together exactly as the whole update would be (`Checker.steps`, paused every few
 * thousand structs), then applied a piece at a time. Between steps the page runs: this device's saves go
 * on; updates from elsewhere wait (`ingestUpdate` holds them) and are taken once this one is in.
 *
 * The verdict is the whole update's: refused, nothing is applied. A save committed while the check runs
 * (its steps would have seen a doc that has since changed) starts the check again. Applying the pieces in
 * order gives the doc the whole update gives; a piece Yjs fails on after others were applied reports
 * `update.failedAfter`, as a whole update that fails halfway does. The doc's 'update' listeners are handed
 * each piece as it came rather than Yjs's encoding of its transaction, when that is the same change
 * (`applyPiece`).
 */
export function ingestLarge(
  doc: Y.Doc,
  update: Uint8Array,
  origin: unknown,
  steps: LargeIngest,
): Promise<IngestResult> {
  return ingestLargeParts(doc, [update], origin, steps).then((results) => results[0]!);
}

/**
 * Takes the parts of a state too large for one update (shared/sync/docParts.ts: a sync file in parts), each
 * as `ingestLarge` takes an update, one after another in one turn: nothing else is taken between two of them
 * and `ingestIdle` waits for the last. Stops at the first part refused; resolves with each part's result.
 */
export function ingestLargeParts(
  doc: Y.Doc,
  parts: readonly Uint8Array[],
  origin: unknown,
  steps: LargeIngest,
): Promise<IngestResult[]> {
  return queueLarge(doc, origin, async () => {
    const results: IngestResult[] = [];
    for (const part of parts) {
      const result = await takeLarge(doc, part, origin, steps);
      results.push(result);
      if (!result.ok) break;
    }
    return results;
  });
}

/** Runs `take` once the large updates queued before it are in; held-back updates are tried after it. */
function queueLarge<T>(doc: Y.Doc, origin: unknown, take: () => Promise<T>): Promise<T> {
  const state = large.get(doc) ?? { runs: 0, tail: Promise.resolve() };
  large.set(doc, state);
  state.runs++;
  // One at a time, each checked against what the one before left.
  const run = state.tail.then(take).finally(() => {
    if (--state.runs === 0) large.delete(doc);
    applyWaiting(doc, origin);
  });
  state.tail = run.catch(() => undefined);
  return run;
}

async function takeLarge(
  doc: Y.Doc,
  update: Uint8Array,
  origin: unknown,
  { cut, pause, checkStep = CHECK_STEP }: LargeIngest,
): Promise<IngestResult> {
  const pieces: Uint8Array[] = [];
  const decoded: Decoded[] = [];
  /** By piece, as rewritten for a doc started from a skeleton (`rewriteIntoHoles`), when it was. */
  const rewrites: (Rewritten | null)[] = [];
  try {
    for await (const batch of batchesOf(cut, update)) {
      for (const piece of batch) {
        const r = decodeForDoc(doc, piece);
        if (!r.ok) return r;
        pieces.push(piece);
        rewrites.push(r.rewritten);
        decoded.push(r.decoded);
        await pause();
      }
    }
  } catch {
    return refuse(INGEST_MESSAGES.malformed);
  }
  // What would wait for changes not here yet is held whole, as a small update is.
  if (wouldWait(doc, { structs: decoded.flatMap((d) => d.structs) })) {
    hold(doc, update);
    return { ok: true, changed: false, pending: true };
  }
  await pause();
  // The settings' and heads' signatures, verified ahead with WebCrypto: a whole network's settings verified
  // one by one inside the check took about 0.85 ms each, and the first head verified there 57-74 ms.
  const headCheck = headChecks.get(doc);
  if (headCheck) {
    const toVerify = await runInSteps(new Checker(doc, decoded).signaturesToVerify(checkStep), pause);
    if (toVerify) {
      await headCheck.prepareSettings(toVerify.settings);
      await headCheck.prepareHeads(toVerify.heads);
    }
  }
  for (let tries = 1; ; tries++) {
    let changed = false;
    const stop = onChange(doc, () => {
      changed = true;
    });
    let problem: DomainMessage | null;
    try {
      problem = await checkInSteps(doc, decoded, checkStep, tries < CHECK_TRIES ? pause : null);
    } finally {
      stop();
    }
    if (problem) return refuse(problem);
    if (!changed) break;
  }
  // Held-back data that would now do harm together with this update is dropped, not this update.
  const pending = pendingSources(doc);
  if (pending.length > 0 && checkAgainstDoc(doc, [...decoded, ...pending])) {
    doc.store.pendingStructs = null;
    doc.store.pendingDs = null;
  }
  // What the pieces changed (a save committed between two of them is not theirs).
  let changed = false;
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await pause();
    const rewritten = rewrites[i];
    historyIn(doc, piece, decoded[i]!.structs);
    const applied = applyPiece(doc, rewritten?.update ?? piece, origin, piece);
    if (rewritten && applied.changed) tookRewritten(doc, piece, rewritten);
    changed ||= applied.changed;
    if (applied.error !== undefined) return failedApply(applied.error, changed);
  }
  const stillPending = doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
  return { ok: true, changed, pending: stillPending || waitingUpdates(doc) > 0 };
}

/** Whether a transaction changed the doc: what Yjs asks before it emits 'update' (new structs or deletes). */
function changedDoc(tr: Y.Transaction): boolean {
  if (tr.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of tr.afterState) if (tr.beforeState.get(client) !== clock) return true;
  return false;
}

/**
 * Whether a transaction may have changed the verdict of a check made before it (`Checker`): it brought or
 * deleted what another client wrote, or it put a key in `ledgers` (a device's first entry, which a forged
 * ledger under the same key would replace). What this device writes itself otherwise cannot: a save appends
 * to its own ledger and replaces its own head, with clocks no update checked before could name (an update
 * deleting clocks of this device's not used yet is refused by the check, and one building on them is held
 * whole before it runs). A large update's check does not start again for those: at a million entries, a volunteer's saves
 * during a first sync made its last try run in one task of 210 ms.
 */
function changesCheck(tr: Y.Transaction): boolean {
  // Its own client, and the one its signed heads are written under (shared/doc.ts `putHead`).
  const own = tr.doc.clientID;
  const heads = headsClientId(tr.doc);
  const others = (client: number) => client !== own && client !== heads;
  for (const client of tr.deleteSet.clients.keys()) if (others(client)) return true;
  for (const [client, clock] of tr.afterState)
    if (others(client) && tr.beforeState.get(client) !== clock) return true;
  const ledgers = tr.doc.share.get(LEDGERS);
  return !!ledgers && tr.changed.has(ledgers);
}

/**
 * Calls `listener` after each transaction that may change a check's verdict (`changesCheck`), until the
 * returned function is called. Unlike an 'update' listener, it costs Yjs no encoding of the transaction.
 */
function onChange(doc: Y.Doc, listener: () => void): () => void {
  const after = (tr: Y.Transaction) => {
    if (changedDoc(tr) && changesCheck(tr)) listener();
  };
  doc.on('afterTransaction', after);
  return () => doc.off('afterTransaction', after);
}

/** What Yjs holds back (structs, deletes), as it encodes them (see `applyPiece`). */
function heldBack(doc: Y.Doc): { structs: Uint8Array | null; ds: Uint8Array | null } {
  return { structs: doc.store.pendingStructs?.update ?? null, ds: doc.store.pendingDs };
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** lib0's listeners of a doc, by event name (Yjs asks `_observers.has('update')` before it encodes). */
type Observers = Map<string, Set<unknown>>;

/**
 * Applies one piece of a large update, and hands the doc's 'update' listeners (DocPersistence, which
 * stores it; y-webrtc, which relays it to the other peers) the piece itself instead of Yjs's encoding of
 * the transaction: Yjs encodes every transaction again for them (about a fifth of a first sync's apply
 * at a million entries), and when the transaction took exactly what the piece holds, the piece is that
 * change (what it holds that the doc had already, Yjs skips).
 *
 * Exactly: when the transaction left what Yjs holds back as it was. A piece part of which Yjs holds back
 * (its structs wait for changes not here yet, its deletes for items not here yet) is encoded by Yjs as
 * before: only what went in is stored and relayed; what waits is not stored before it goes in (it lives
 * in memory, so the door can still drop it if it would do harm with what arrives later: a stored row is
 * applied at the next start without the door). Nor is a piece whose transaction took in something that
 * was held back (Yjs's encoding carries it, the piece does not). Nor one Yjs threw on halfway.
 *
 * Yjs emits 'update' right after 'afterTransactionCleanup', if the doc has 'update' listeners: on that
 * event the listeners are called with the piece, then set aside until Yjs has passed its check, and put
 * back before any other transaction (one an observer made) is cleaned up.
 */
function applyPiece(
  doc: Y.Doc,
  piece: Uint8Array,
  origin: unknown,
  /** What the listeners are handed: the piece as it was written, when `piece` is it rewritten (skeleton.ts). */
  written: Uint8Array = piece,
): { changed: boolean; error?: unknown } {
  const observers = (doc as unknown as { _observers: Observers })._observers;
  const before = heldBack(doc);
  let ours: Y.Transaction | null = null;
  let finished = false;
  let changed = false;
  let setAside: Set<unknown> | null = null;
  const putBack = () => {
    if (!setAside) return;
    // Listeners added meanwhile (by a listener) are kept too.
    for (const listener of observers.get('update') ?? []) setAside.add(listener);
    observers.set('update', setAside);
    setAside = null;
  };
  const cleanedUp = (tr: Y.Transaction) => {
    if (tr !== ours) return putBack();
    changed = changedDoc(tr);
    const after = heldBack(doc);
    // Yjs encodes what it holds back again each time it tries it: the same bytes, when none of it went in.
    const asItWas = sameBytes(after.structs, before.structs) && sameBytes(after.ds, before.ds);
    if (!changed || !finished || !observers.has('update')) return;
    if (!asItWas) {
      // Yjs's encoding holds what it held back too, and goes out after this; a rewritten piece goes first
      // as it was written, so that a store or a peer has it as written (Yjs skips the copy that follows).
      if (written !== piece) doc.emit('update', [written, origin, doc, tr]);
      return;
    }
    doc.emit('update', [written, origin, doc, tr]);
    setAside = observers.get('update') ?? null;
    observers.delete('update');
  };
  const otherTransaction = (tr: Y.Transaction) => {
    if (tr !== ours) putBack();
  };
  doc.on('afterTransactionCleanup', cleanedUp);
  doc.on('beforeObserverCalls', otherTransaction);
  try {
    Y.transact(
      doc,
      (tr) => {
        ours = tr;
        Y.applyUpdate(doc, piece, origin);
        finished = true;
      },
      origin,
      false,
    );
    return { changed };
  } catch (error) {
    return { changed, error };
  } finally {
    putBack();
    doc.off('afterTransactionCleanup', cleanedUp);
    doc.off('beforeObserverCalls', otherTransaction);
  }
}

/** What `cut` gives, as batches. */
async function* batchesOf(cut: LargeIngest['cut'], update: Uint8Array): AsyncGenerator<Uint8Array[]> {
  const pieces = cut(update);
  if (Symbol.asyncIterator in pieces) yield* pieces;
  else yield await pieces;
}

/** Runs steps to their end, pausing between them; null if they throw (a hostile update: see below). */
async function runInSteps<T>(steps: Generator<void, T>, pause: () => Promise<void>): Promise<T | null> {
  try {
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      await pause();
    }
  } catch {
    return null;
  }
}

/** The check of `sources` against the doc, paused between its steps (`pause` null: in one go). */
async function checkInSteps(
  doc: Y.Doc,
  sources: readonly Decoded[],
  every: number,
  pause: (() => Promise<void>) | null,
): Promise<DomainMessage | null> {
  try {
    const steps = new Checker(doc, sources).steps(every);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (pause) await pause();
    }
  } catch {
    // TooDeep, or anything else unexpected in a hostile update: refuse rather than guess.
    return INGEST_MESSAGES.malformed;
  }
}
