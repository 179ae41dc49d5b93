import { createContext, useContext } from 'react';
import type { StoreHost } from '../storage/host';

export const StoreContext = createContext<StoreHost | null>(null);

export function useStore(): StoreHost {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside StoreContext');
  return store;
}
