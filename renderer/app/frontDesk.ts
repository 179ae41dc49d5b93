import { useSyncExternalStore } from 'react';

/**
 * Front-desk mode: a setting of this device, not of the network (like its language, renderer/i18n): the
 * laptop at the door shows only Record donation, Record pickup and Stock, while the office laptop of the
 * same hub shows everything. Kept in localStorage under this key, 'on' or 'off'.
 */
export const FRONT_DESK_KEY = 'larder.frontDesk';

type KeyValue = Pick<Storage, 'getItem' | 'setItem'>;

export interface FrontDeskSetting {
  /** Whether this device is in front-desk mode. */
  get(): boolean;
  /** Turns it on or off, remembers it on this device, and tells every subscriber. */
  set(on: boolean): void;
  subscribe(listener: () => void): () => void;
}

/**
 * The setting over a storage. `storage` is asked each time (a page may lose it); when it is missing or
 * refuses (private mode, a full disk), the choice still holds, for this page only.
 */
export function frontDeskSetting(storage: () => KeyValue | undefined): FrontDeskSetting {
  let unsaved: boolean | null = null;
  const listeners = new Set<() => void>();
  return {
    get() {
      if (unsaved !== null) return unsaved;
      try {
        return storage()?.getItem(FRONT_DESK_KEY) === 'on';
      } catch {
        return false;
      }
    },
    set(on) {
      try {
        const s = storage();
        if (!s) throw new Error('no storage');
        s.setItem(FRONT_DESK_KEY, on ? 'on' : 'off');
        unsaved = null;
      } catch {
        unsaved = on;
      }
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const browserStorage = () => (typeof localStorage === 'undefined' ? undefined : localStorage);

/** This device's setting (the page's localStorage). */
export const frontDesk = frontDeskSetting(browserStorage);

/** Whether this device is in front-desk mode, live, and how to change it. */
export function useFrontDesk(): [boolean, (on: boolean) => void] {
  const on = useSyncExternalStore(frontDesk.subscribe, frontDesk.get);
  return [on, frontDesk.set];
}
