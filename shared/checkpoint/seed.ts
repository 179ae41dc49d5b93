import type { Entry } from '../entries';
import { Projector, type LedgerRow, type ProjectionProblem } from '../projection';
import type { DeviceGate } from '../trust/gate';
import type { CheckpointHead, Cover } from './format';

/**
 * Starting from a checkpoint: the projection seeded with its rows, and the gate's per-device states
 * continued from its covered positions. Entries after the checkpoint then go through the gate and the
 * projector exactly as they would have after the whole history, so the figures come out the same
 * (tests/shared/checkpoint/seed.property.test.ts).
 */
export function seedProjector(
  head: Pick<CheckpointHead, 'stock' | 'usage'>,
  rows: readonly LedgerRow[],
): { projector: Projector; problems: ProjectionProblem[] } {
  const projector = new Projector({ stock: head.stock, usage: head.usage, ledger: rows });
  return { projector, problems: undoProblems(rows) };
}

/**
 * What the projection sets aside among these rows: undos of an undo, and undos of another hub's or item's
 * entry. The projector itself decides it, over the undos whose target is present and those targets only,
 * targets first, so each such undo is judged with its target in place.
 */
export function undoProblems(rows: readonly LedgerRow[]): ProjectionProblem[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const undos = rows.filter((r) => r.kind === 'reversal' && byId.has(r.target));
  const targetIds = new Set(undos.map((u) => (u as LedgerRow & { kind: 'reversal' }).target));
  const targets = [...targetIds].map((t) => byId.get(t)!);
  // Targets that are not undos first, then undos that are targets, then every other undo.
  const order = [
    ...targets.filter((t) => t.kind !== 'reversal'),
    ...targets.filter((t) => t.kind === 'reversal'),
    ...undos.filter((u) => !targetIds.has(u.id)),
  ];
  const projector = new Projector();
  for (const row of order) projector.apply(entryOf(row));
  return projector.problems;
}

/** The entry a ledger row was projected from. */
export function entryOf(row: LedgerRow): Entry {
  const { id: _id, applied: _applied, reversedBy: _by, slot: _slot, root: _root, ...entry } = row;
  return entry as Entry;
}

/** The gate's state for each covered device: verified and decided up to its covered position. */
export function gateStates(covers: readonly Cover[]): DeviceGate[] {
  return covers.map((c) => ({
    device: c.device,
    chain: { seq: c.seq, block: c.block, partial: [...c.partial] },
    // Every covered position has its verdict: counted up to `counted`, set aside after it.
    decided: c.seq,
    held: [],
    pending: [],
    ...(c.judgedAs ? { judgedAs: c.judgedAs, vouched: true as const } : {}),
  }));
}

/**
 * Whether the checkpoint already counts an entry's position. Older history that arrives behind a
 * checkpoint is for the history view only: given to the gate it would be a second entry at a taken
 * position, and to the projector a second count.
 */
export function coveredBy(
  covers: readonly Pick<Cover, 'device' | 'seq'>[],
): (entry: Pick<Entry, 'device' | 'seq'>) => boolean {
  const cut = new Map(covers.map((c) => [c.device, c.seq]));
  return (e) => e.seq <= (cut.get(e.device) ?? 0);
}
