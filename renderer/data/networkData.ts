import { useDeferredValue, useMemo, useSyncExternalStore } from 'react';
import type { NetworkFilter } from '../../shared/network';
import type { StoreHost } from '../storage/host';
import { NetworkModel } from './networkModel';
import { useStore } from '../app/StoreContext';

export type { HubWithFreshness } from './newest';

const models = new WeakMap<StoreHost, NetworkModel>();

function modelOf(store: StoreHost): NetworkModel {
  let model = models.get(store);
  if (!model) {
    model = new NetworkModel(store);
    models.set(store, model);
  }
  return model;
}

/** Starts reading the network's figures for `store` before a Network screen asks (Shell's prepareFirstScreen). */
export function prepareNetworkData(store: StoreHost): void {
  modelOf(store).prepare();
}

/**
 * Everything the coordinator's screens need: hubs with the time of their newest entry seen here, the
 * catalog, the transfers and the network view, kept current as entries commit (see NetworkModel).
 */
export function useNetworkData(filter: NetworkFilter = {}) {
  const store = useStore();
  const model = modelOf(store);
  // A new snapshot is rendered in the background (a transition, in slices that let clicks and keys in),
  // the screen showing the one before meanwhile: an external store's change renders at once, in one task,
  // and the first snapshot's render (the view worked out, the first rows) was a task of 55-66 ms at a 1M
  // start.
  const snapshot = useDeferredValue(
    useSyncExternalStore(
      (l) => model.subscribe(l),
      () => model.current,
    ),
  );
  return useMemo(() => {
    if (!snapshot) return undefined;
    const view = snapshot.model.view(filter);
    return { ...snapshot, view };
    // The snapshot's version changes with every commit; the filter is what the person picked.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [snapshot, filter.category, filter.hub]);
}
