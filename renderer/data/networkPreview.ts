import { use, useEffect, useState } from 'react';
import { movesToShow } from '../../shared/network/suggest';
import { useStore } from '../app/StoreContext';
import type { LarderDB, NetworkPreviewRow as NetworkPreview, PreviewHub } from '../storage/db';
import type { HubSummary } from '../../shared/network/summaries';
import { NETWORK_PREVIEW_MARK } from '../storage/marks';
import type { StoreHost } from '../storage/host';
import { earlyReads, type Early } from './earlyReads';
import type { NetworkSnapshot } from './networkModel';

/*
 * The Network screen's first view as this device last worked it out, kept to be shown while the screen's
 * figures are read again. A coordinator's first view needs every hub's figures, levels, open transfers and
 * twelve days of usage: about 300 ms of reads after the app's store opens, then 120 ms to work the view out,
 * with nothing on the screen meanwhile. The preview is a few kilobytes: what the screen shows above the
 * fold (the hubs' freshness, the first suggested moves, the first rows of the items table). open-early.js
 * reads it as the page opens; the screen shows it, marked as figures of that moment being updated, with
 * nothing to click that would act on them, until the live figures replace it. It is this device's own
 * projections worked out (nothing a peer sent that its projections do not already hold), in the same
 * database, and goes with it.
 */

/** Items table rows and suggested moves the preview holds: what the screen shows before "Show all". */
export const PREVIEW_ITEMS = 15;
export const PREVIEW_MOVES = 8;
/** A preview older than this is not shown: figures a week old, even for a moment, would mislead more than help. */
export const PREVIEW_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** The preview is saved this long after the figures last changed (they change with every entry that arrives). */
export const PREVIEW_SAVE_DELAY_MS = 2_000;
/** Changed whenever the shape below changes: a preview of another shape is not shown. */
export const PREVIEW_FORMAT = 1;

export type { NetworkPreviewRow as NetworkPreview, PreviewHub } from '../storage/db';

/** A hub's line of the freshness table, as the screen shows it and the preview keeps it. */
export function previewHub(h: HubSummary): PreviewHub {
  return { hub: h.hub, name: h.name, stale: h.stale, ageMs: h.ageMs, shortages: h.shortages.length };
}

/** The preview of a snapshot's unfiltered view (what the screen shows first). */
export function previewOf(snapshot: NetworkSnapshot, version: number): NetworkPreview {
  const view = snapshot.model.view({});
  const shown = movesToShow(view.moves, view.items, snapshot.transfers).slice(0, PREVIEW_MOVES);
  const names = new Map<string, [string, string, string]>();
  for (const m of shown) {
    const item = snapshot.itemsById.get(m.item);
    if (item) names.set(item.id, [item.id, item.name, item.unit]);
  }
  return {
    key: 'networkPreview',
    format: PREVIEW_FORMAT,
    version,
    takenAt: snapshot.now,
    hubs: view.hubs.map(previewHub),
    items: view.items.slice(0, PREVIEW_ITEMS),
    moves: shown,
    names: [...names.values()],
  };
}

/** Saves the preview. Never rejects: it is a convenience, and the database may be closing. */
export async function savePreview(db: LarderDB, preview: NetworkPreview): Promise<void> {
  try {
    await db.meta.put(preview);
  } catch (error) {
    if (db.isOpen()) console.warn('Larder could not keep the network view for its next start', error);
  }
}

const isString = (x: unknown): x is string => typeof x === 'string';
const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStrings = (x: unknown): boolean => Array.isArray(x) && x.every(isString);
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/**
 * Whether a stored row is a preview this code can show: every field it renders of the type it renders.
 * (Written by this app on this device, but perhaps by an older version, or hand-edited: a row that is not
 * is not shown, and the screen waits for its figures as it did before there were previews.)
 */
export function isPreview(x: unknown): x is NetworkPreview {
  if (!isRecord(x)) return false;
  const { format, version, takenAt, hubs, items, moves, names } = x;
  return (
    x.key === 'networkPreview' &&
    format === PREVIEW_FORMAT &&
    isNumber(version) &&
    isNumber(takenAt) &&
    Array.isArray(hubs) &&
    hubs.every(
      (h) =>
        isRecord(h) &&
        isString(h.hub) &&
        isString(h.name) &&
        typeof h.stale === 'boolean' &&
        (h.ageMs === null || isNumber(h.ageMs)) &&
        isNumber(h.shortages),
    ) &&
    Array.isArray(items) &&
    items.every(
      (i) =>
        isRecord(i) &&
        isString(i.item) &&
        isString(i.name) &&
        (i.category === null || isString(i.category)) &&
        isNumber(i.freshTotal) &&
        isNumber(i.staleTotal) &&
        isNumber(i.inTransit) &&
        isStrings(i.outHubs) &&
        isStrings(i.shortHubs) &&
        isStrings(i.runningOutHubs) &&
        isStrings(i.staleHubs) &&
        Array.isArray(i.surplusHubs) &&
        i.surplusHubs.every((s) => isRecord(s) && isString(s.hub) && isNumber(s.surplus)) &&
        (i.worst === null || isString(i.worst)) &&
        (i.minCover === null || isNumber(i.minCover)),
    ) &&
    Array.isArray(moves) &&
    moves.every(
      (m) => isRecord(m) && isString(m.item) && isString(m.from) && isString(m.to) && isNumber(m.qty),
    ) &&
    Array.isArray(names) &&
    names.every((n) => Array.isArray(n) && n.length === 3 && n.every(isString))
  );
}

/** What open-early.js leaves: the database's version and the stored row, unread (null: it read nothing). */
export interface EarlyNetwork {
  version: number;
  preview: unknown;
}

declare global {
  interface Window {
    /** Set by open-early.js on a page that opens on the Network screen. */
    larderEarlyNetwork?: Promise<EarlyNetwork | null>;
  }
}

const early = earlyReads<EarlyNetwork>('larderEarlyNetwork');

/** Takes the page's early read of the preview, if open-early.js started one: as the store starts opening. */
export const watchEarlyNetwork = early.watch;

/** The preview read as the page opened, if it can be shown for `store` at `now`. */
export function previewFor(
  read: EarlyNetwork | null,
  store: StoreHost,
  now = Date.now(),
): NetworkPreview | null {
  const version = store.db.openVersion();
  if (!read || version === null || !isPreview(read.preview)) return null;
  const preview = read.preview;
  const age = now - preview.takenAt;
  return read.version === version && preview.version === version && age >= 0 && age <= PREVIEW_MAX_AGE_MS
    ? preview
    : null;
}

/**
 * For the Network screen's first render: the preview open-early.js read, until the screen's own figures are
 * worked out. Suspends the screen (React `use`) while it is still being read; null when there is none to
 * show, and for any screen but the page's first (later ones read the figures themselves).
 */
export function useNetworkPreview(): NetworkPreview | null {
  const store = useStore();
  const mine: Early<EarlyNetwork> | null = early.take(store);
  const first = !!mine && !mine.used;
  if (first && !mine.settled) use(mine.promise);
  // Kept for the screen's later renders (the first one marks the read as used).
  const [preview] = useState(() => (first ? previewFor(mine.rows, store) : null));
  useEffect(() => {
    if (!mine || mine.used) return;
    mine.used = true;
    if (preview) performance.mark?.(NETWORK_PREVIEW_MARK);
  }, [mine, preview]);
  return preview;
}
