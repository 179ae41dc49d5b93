import { useSyncExternalStore } from 'react';
import { useStore } from '../app/StoreContext';
import type { SelfRow } from '../storage/db';
import type { StoreHost } from '../storage/host';

/** This device's own settings (its network, hub, role, name), re-rendering whoever reads them when they change. */
export function useSelfOf(store: StoreHost): SelfRow | null {
  return useSyncExternalStore(
    (listener) => store.onSelfChanged(listener),
    () => store.selfSnapshot,
  ).row;
}

/** This device's own settings, from the store in context; see useSelfOf. */
export function useSelf(): SelfRow | null {
  return useSelfOf(useStore());
}
