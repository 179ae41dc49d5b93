import type { Entry } from '../../shared/entries';
import type { Cover } from '../../shared/checkpoint/format';
import type { CheckpointMetaRow } from './db';

type Position = Pick<Entry, 'device' | 'seq'>;

/**
 * A device that started from a checkpoint (DocPersistence.seed) while its doc does not hold the history the
 * checkpoint covers: which positions it covers, and how many covered entries have arrived since, per device
 * (kept in the `checkpoint` meta row, written with each batch that brings some).
 *
 * The counts only say when to look: a device's own array could hold two entries at one position (a forged
 * one beside the real one), so once every covered device has brought as many as its checkpoint covers, the
 * doc itself is read (`holdsAll`) for every position, 1 to the covered one, of every covered device.
 */
export class BehindCheckpoint {
  private constructor(
    readonly digest: string,
    private readonly covers: ReadonlyMap<string, number>,
    private readonly arrived: ReadonlyMap<string, number>,
    /** How many of the checkpoint's own rows are written; null once all are. */
    readonly historyAt: number | null,
    /**
     * Whether a rebuild was asked for meanwhile (a revocation behind counted entries), to run once the history
     * is in: one box shared by this and every state made from it, so that a state made before the ask and
     * stored after it still stores it.
     */
    private readonly asked: { rebuild: boolean } = { rebuild: false },
  ) {}

  get rebuildWanted(): boolean {
    return this.asked.rebuild;
  }

  /**
   * How much of the history behind the checkpoint has arrived: of the entries it covers, how many the doc
   * has brought (each device's count up to what the checkpoint covers of it). A progress, not a proof: the
   * doc is whole only when `arriving` says so.
   */
  get progress(): { arrived: number; covered: number } {
    let arrived = 0;
    let covered = 0;
    for (const [device, n] of this.covers) {
      covered += n;
      arrived += Math.min(n, this.arrived.get(device) ?? 0);
    }
    return { arrived, covered };
  }

  /** Notes that a rebuild was asked for (for this state and every one made from it). */
  wantRebuild(): void {
    this.asked.rebuild = true;
  }

  /**
   * The covered positions the doc lacked when the counts first said it might hold them all (`learnMissing`),
   * less those that arrived since. Once known, no batch reads the doc again: a peer sending entries at
   * covered positions could otherwise make every batch read the whole doc.
   */
  private missing: ReadonlyMap<string, ReadonlySet<number>> | null = null;

  /** This, with `at` of the checkpoint's rows written (null: all of them). */
  withHistory(at: number | null): BehindCheckpoint {
    const next = new BehindCheckpoint(this.digest, this.covers, this.arrived, at, this.asked);
    next.missing = this.missing;
    return next;
  }

  /** As a checkpoint of these covers leaves a device: nothing of its history arrived yet. */
  static start(digest: string, covers: readonly Cover[]): BehindCheckpoint {
    return new BehindCheckpoint(
      digest,
      new Map(covers.map((c) => [c.device, c.seq])),
      new Map(covers.map((c) => [c.device, 0])),
      0,
    );
  }

  /** As a start finds it (the meta row). */
  static fromRow(row: CheckpointMetaRow): BehindCheckpoint {
    const arrived = new Map(row.arrived);
    return new BehindCheckpoint(
      row.digest,
      new Map(row.covers),
      new Map(row.covers.map(([device]) => [device, arrived.get(device) ?? 0])),
      row.history ?? null,
      { rebuild: row.rebuild === true },
    );
  }

  get row(): CheckpointMetaRow {
    return {
      key: 'checkpoint',
      digest: this.digest,
      covers: [...this.covers],
      arrived: [...this.arrived],
      ...(this.rebuildWanted ? { rebuild: true as const } : {}),
      ...(this.historyAt !== null ? { history: this.historyAt } : {}),
    };
  }

  /** Whether the checkpoint counts this position already. */
  covered(e: Position): boolean {
    return e.seq >= 1 && e.seq <= (this.covers.get(e.device) ?? 0);
  }

  /**
   * What a batch's entries change: null when none is covered; else this, counted on, and whether the doc may
   * now hold every covered position: every covered device has brought at least as many entries as the
   * checkpoint covers (then read the doc: `learnMissing`), or, once the positions it lacked are known, none
   * is left (`knowsMissing`: it holds them all).
   */
  arriving(entries: readonly Position[]): { next: BehindCheckpoint; mayHoldAll: boolean } | null {
    let arrived: Map<string, number> | null = null;
    for (const e of entries) {
      if (!this.covered(e)) continue;
      arrived ??= new Map(this.arrived);
      arrived.set(e.device, (arrived.get(e.device) ?? 0) + 1);
    }
    if (!arrived) return null;
    const next = new BehindCheckpoint(this.digest, this.covers, arrived, this.historyAt, this.asked);
    if (this.missing) {
      const missing = new Map([...this.missing].map(([device, seqs]) => [device, new Set(seqs)]));
      for (const e of entries) if (this.covered(e)) missing.get(e.device)?.delete(e.seq);
      next.missing = missing;
      return { next, mayHoldAll: [...missing.values()].every((seqs) => seqs.size === 0) };
    }
    const mayHoldAll = [...this.covers].every(([device, seq]) => (arrived.get(device) ?? 0) >= seq);
    return { next, mayHoldAll };
  }

  /** Whether the positions the doc lacks are known (`learnMissing`): `arriving` then says all it holds. */
  get knowsMissing(): boolean {
    return this.missing !== null;
  }

  /**
   * Reads which covered positions these entries (the doc's) lack, every one from 1 to the covered one of every
   * covered device, and keeps them for later batches; true when none is lacking.
   */
  learnMissing(entries: Iterable<Position>): boolean {
    // A byte per covered position, not a set of them: a million positions in sets took 200 ms in one task.
    const seen = new Map<string, Uint8Array>();
    for (const e of entries) {
      if (!this.covered(e)) continue;
      let got = seen.get(e.device);
      if (!got) seen.set(e.device, (got = new Uint8Array(this.covers.get(e.device)! + 1)));
      got[e.seq] = 1;
    }
    const missing = new Map<string, Set<number>>();
    for (const [device, last] of this.covers) {
      const got = seen.get(device);
      const lacks = new Set<number>();
      for (let seq = 1; seq <= last; seq++) if (!got?.[seq]) lacks.add(seq);
      if (lacks.size > 0) missing.set(device, lacks);
    }
    this.missing = missing;
    return missing.size === 0;
  }
}
