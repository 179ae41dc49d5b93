import { useLiveQuery } from 'dexie-react-hooks';
import { useStore } from '../app/StoreContext';
import type { StoreHost } from '../storage/host';
import type { ProblemRow } from '../storage/db';
import { damageKind, problemsReport, type DamageKind, type ProblemsReport } from '../storage/report';

/** Problems set aside while projecting, by where they are, live. */
export function useProblems(): ProblemRow[] | undefined {
  const store = useStore();
  return useLiveQuery(() => store.db.problems.orderBy('where').toArray(), []);
}

/** How many problems are set aside, live (0 while loading). */
export function useProblemCount(): number {
  const store = useStore();
  return useLiveQuery(() => store.db.problems.count(), []) ?? 0;
}

export interface DamagedView {
  id: number;
  setAsideAt: number;
  entries: number;
  kind: DamageKind;
  bytes: number;
}

/** Updates set aside as damaged, live. The rows' bytes stay on disk: the screen needs only what they were and when. */
export function useDamaged(): DamagedView[] | undefined {
  const store = useStore();
  return useLiveQuery(
    async () =>
      (await store.db.damaged.toArray()).map((d) => ({
        id: d.id,
        setAsideAt: d.setAsideAt,
        entries: d.entries,
        kind: damageKind(d.reason),
        bytes: d.update instanceof Uint8Array ? d.update.byteLength : 0,
      })),
    [],
  );
}

/** The problems report (no personal data) as of `now`. */
export function makeProblemsReport(store: StoreHost, now: number): Promise<ProblemsReport> {
  return problemsReport(store.db, now);
}

/** What the startup check found missing and has not come back yet, live; null when nothing was found. */
export function useDamageNotice() {
  const store = useStore();
  return useLiveQuery(async () => {
    const damage = await store.db.meta.get('damage');
    if (damage?.key !== 'damage') return null;
    // Loaded only when there is damage to tell of: unpacking the ledger's blocks is not for the first view.
    const { getLedgerRows } = await import('../storage/ledgerRows');
    const back = await getLedgerRows(
      store.db,
      damage.missing.map((m) => m.id),
    );
    const items = new Map((await store.db.items.toArray()).map((i) => [i.id, i.name]));
    const still = damage.missing.filter((_, i) => !back[i]);
    return { damage, still, items };
  }, []);
}

/** Puts the startup check's notice away (the data it names is untouched). */
export async function dismissDamageNotice(store: StoreHost): Promise<void> {
  await store.db.meta.delete('damage');
}
