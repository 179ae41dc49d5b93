import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import type { StoreHost } from '../storage/host';
import { useStore } from './StoreContext';

/** Entries of a very large update not yet added to the figures (0 almost always), live. */
export function useUnprojected(): number {
  const store = useStore();
  return useSyncExternalStore(
    (listener) => store.onBacklog(listener),
    () => store.unprojected,
  );
}

/** A load shorter than this is not mentioned (most hubs' take a fraction of a second). */
export const LOAD_SHOWN_AFTER_MS = 1_000;

/**
 * How far something the store says it is doing is (`progress`), in whole percent, live; null when nothing
 * runs, or while it has run for less than LOAD_SHOWN_AFTER_MS. Shown once that time is up even if it has not
 * moved since (a first read waiting on a slow disk): the store says when it begins, and a timer here says
 * when it has run long enough to be mentioned.
 */
function useShownPercent(
  progress: (store: StoreHost) => { done: number; total: number; startedAt: number } | null,
): number | null {
  const store = useStore();
  // The same function from render to render: React subscribes again whenever it changes.
  const subscribe = useCallback(
    (listener: () => void) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const heard = () => {
        clearTimeout(timer);
        const now = progress(store);
        const left = now ? LOAD_SHOWN_AFTER_MS - (performance.now() - now.startedAt) : 0;
        if (left > 0) timer = setTimeout(heard, left + 1);
        listener();
      };
      const off = store.onBacklog(heard);
      heard();
      return () => {
        off();
        clearTimeout(timer);
      };
    },
    [store, progress],
  );
  return useSyncExternalStore(subscribe, () => {
    const now = progress(store);
    if (!now || performance.now() - now.startedAt < LOAD_SHOWN_AFTER_MS) return null;
    return Math.floor((100 * now.done) / Math.max(1, now.total));
  });
}

/** How far the history's load is (the doc, which saves and sync wait for): see useShownPercent. */
export function useLoadPercent(): number | null {
  return useShownPercent(loadProgress);
}

/**
 * How far a rebuild has worked out the figures again (after an update of Larder, a revocation, a repair),
 * which every save waits for: see useShownPercent.
 */
export function useFiguresPercent(): number | null {
  return useShownPercent(figuresProgress);
}

const loadProgress = (store: StoreHost) => store.loadProgress;
const figuresProgress = (store: StoreHost) => store.figuresProgress;

/**
 * How far a rebuild has written the history (usage and ledger rows), in whole percent, live; null when no
 * rebuild runs. A number, so the snapshot stays the same between changes.
 */
export function useRebuildPercent(): number | null {
  return usePercentOf(rebuildDone);
}

/** How far `progress` is, in whole percent, live (the store says when it moves); null when it is null. */
function usePercentOf(progress: (store: StoreHost) => { done: number; total: number } | null): number | null {
  const store = useStore();
  return useSyncExternalStore(
    (listener) => store.onBacklog(listener),
    () => {
      const now = progress(store);
      if (!now) return null;
      return now.total === 0 ? 100 : Math.floor((100 * now.done) / now.total);
    },
  );
}

const rebuildDone = (store: StoreHost) => {
  const progress = store.rebuildProgress;
  return progress && { done: progress.written, total: progress.total };
};

/**
 * While this device is behind the checkpoint it started from (its history still arriving), how much of that
 * history is in, in whole percent, live; null otherwise. A number, so the snapshot stays the same between
 * changes.
 */
export function useCheckpointPercent(): number | null {
  return usePercentOf(checkpointArrived);
}

const checkpointArrived = (store: StoreHost) => {
  const progress = store.checkpointProgress;
  return progress && { done: progress.arrived, total: progress.covered };
};

/** How long a save runs before the form says "Saving…" (most take a few tens of milliseconds). */
export const SAVING_SHOWN_AFTER_MS = 400;

/**
 * Whether `busy` has been true for SAVING_SHOWN_AFTER_MS: a save slow enough to say so (the disk busy, the
 * history's load ahead of it), without the hint flickering at every quick save.
 */
export function useLongBusy(busy: boolean): boolean {
  const [long, setLong] = useState(false);
  useEffect(() => {
    if (!busy) {
      setLong(false);
      return;
    }
    const timer = setTimeout(() => setLong(true), SAVING_SHOWN_AFTER_MS);
    return () => clearTimeout(timer);
  }, [busy]);
  return busy && long;
}

/** What a form's command is doing, as far as the form can say (see `busyNote`). */
export interface BusyState {
  busy: boolean;
  /** How far a rebuild has worked out the figures, in whole percent (`useFiguresPercent`); null: none shown. */
  figures: number | null;
  /** How far the history's load is (`useLoadPercent`); null: none shown. */
  opening: number | null;
  /** Whether the command has run SAVING_SHOWN_AFTER_MS (`useLongBusy`). */
  slow: boolean;
  /** The form's saves are taken while the history loads, when the store takes early saves. */
  early: boolean;
  /** The form's saves are taken while a rebuild works out the figures, when the store takes them. */
  duringRebuild: boolean;
  /** The command saves something (false: it makes something, a file, say). */
  saves: boolean;
  /** The store's flags, read at this render (StoreHost's getters of the same names). */
  takesEarlySaves: boolean;
  takesSavesWhileRebuilding: boolean;
  savesWaitForDoc: boolean;
}

/** The note a form shows: which message, and the percent it names. Null: nothing to say (yet). */
export type BusyNote =
  { key: 'onceFigures' | 'onceOpen'; percent: number } | { key: 'saving' | 'working' } | null;

/**
 * What a form says while its command runs, or null when there is nothing to say yet. While a rebuild works
 * out the figures again, that it waits for them (every change does but this device's donations, pickups,
 * discards, transfers and undos when the store takes them meanwhile: `duringRebuild`,
 * `takesSavesWhileRebuilding`), unless a save claimed before it waits for them, and so this one after it
 * (`savesWaitForDoc`: a receipt of a transfer this device saved something of meanwhile, an undo of an entry
 * not found). While the history is opening, a command that waits for it says so, with how far the opening
 * is: every change but the saves taken early (`early`: donations, pickups, counts, discards, transfers and
 * undos, when the store takes them; `takesEarlySaves`). Otherwise, once it has run SAVING_SHOWN_AFTER_MS,
 * that it is saving, or working (`saves: false`).
 */
export function busyNote(state: BusyState): BusyNote {
  if (!state.busy) return null;
  // A rebuild's figures come first: every save waits for them (at a start, after the history's load), but
  // those taken meanwhile.
  const takenWhileRebuilding =
    state.duringRebuild && state.takesSavesWhileRebuilding && !state.savesWaitForDoc;
  if (state.figures !== null && !takenWhileRebuilding) return { key: 'onceFigures', percent: state.figures };
  // Before a rebuild at the load's end, the saves `duringRebuild` are taken from the load's start.
  const taken = (state.early && state.takesEarlySaves) || takenWhileRebuilding;
  if (state.opening !== null && !taken) return { key: 'onceOpen', percent: state.opening };
  if (state.slow) return { key: state.saves ? 'saving' : 'working' };
  return null;
}

/** `busyNote` for a form of this store, in the person's language. */
export function useBusyNote(
  busy: boolean,
  { early = false, duringRebuild = false, saves = true } = {},
): string | null {
  const store = useStore();
  const { t } = useTranslation();
  const format = useFormat();
  const opening = useLoadPercent();
  const figures = useFiguresPercent();
  const slow = useLongBusy(busy);
  const note = busyNote({
    busy,
    figures,
    opening,
    slow,
    early,
    duringRebuild,
    saves,
    takesEarlySaves: store.takesEarlySaves,
    takesSavesWhileRebuilding: store.takesSavesWhileRebuilding,
    savesWaitForDoc: store.savesWaitForDoc,
  });
  if (!note) return null;
  if (!('percent' in note)) return t(note.key === 'saving' ? 'movement.saving' : 'common.working');
  const percent = format.number(note.percent / 100, { style: 'percent' });
  if (note.key === 'onceFigures')
    return saves ? t('movement.savingOnceFigures', { percent }) : t('common.waitsForFigures', { percent });
  return saves ? t('movement.savingOnceOpen', { percent }) : t('common.waitsForHistory', { percent });
}
