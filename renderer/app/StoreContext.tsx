import { createContext, useContext } from 'react';
import type { LarderStore } from '../storage/store';

export const StoreContext = createContext<LarderStore | null>(null);

export function useStore(): LarderStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside StoreContext');
  return store;
}
