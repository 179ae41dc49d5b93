import { useLiveQuery } from 'dexie-react-hooks';
import { fingerprintOf } from '../../shared/trust/crypto';
import type { IdentityRow } from '../storage/db';
import { useStore } from '../app/StoreContext';

/** This device's own key fingerprint, to read aloud to an admin. */
export function useMyFingerprint(): string | null | undefined {
  const store = useStore();
  return useLiveQuery(async () => {
    const identity = (await store.db.meta.get('identity')) as IdentityRow | undefined;
    return identity ? fingerprintOf(identity.publicKey) : null;
  }, []);
}
