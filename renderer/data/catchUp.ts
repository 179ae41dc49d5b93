import { useSyncExternalStore } from 'react';
import { useStore } from '../app/StoreContext';

/** How many days this network's devices wait in earlier keys' rooms (the admins' setting), live. */
export function useCatchUpDays(): number {
  const store = useStore();
  return useSyncExternalStore(
    (listener) => store.onCatchUpChanged(listener),
    () => store.catchUpDays,
  );
}
