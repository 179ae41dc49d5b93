import type { Entry } from '../../shared/entries';
import type { Cover } from '../../shared/checkpoint/format';
import type { CheckpointMetaRow } from './db';

type Position = Pick<Entry, 'device' | 'seq'>;

/**
 * A device that started from a checkpoint (DocPersistence.seed) while its doc does not hold the history the
 * checkpoint covers: which positions it covers, and how many covered entries have arrived since, per device
 * (kept in the `checkpoint` meta row, written with each batch that brings some).
 *
 * The counts alone cannot say that the doc holds the history: a device's own array could hold two entries
 * at one position (a forged one beside the real one). What says it is which covered positions the doc has
 * brought (`Positions`): known from the start on a device seeded in this session (its doc was empty then),
 * marked as each batch brings them. After a restart they are not known (only the counts are kept): once
 * every covered device has brought as many entries as its checkpoint covers, the doc is read once for them
 * (`learnMissing`), and they are marked from then on.
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
   * Which covered positions the doc has brought, once known (from the start, or `learnMissing`): then no
   * batch reads the doc. (A peer sending entries at covered positions could otherwise make every batch read
   * the whole doc; and at a million entries, reading it once was seconds of decoding on the page.)
   */
  private positions: Positions | null = null;

  /** This, with `at` of the checkpoint's rows written (null: all of them). */
  withHistory(at: number | null): BehindCheckpoint {
    const next = new BehindCheckpoint(this.digest, this.covers, this.arrived, at, this.asked);
    next.positions = this.positions;
    return next;
  }

  /**
   * As a checkpoint of these covers leaves a device (whose doc is empty: `DocPersistence.seed` is refused on
   * any other): nothing of its history arrived yet, no covered position brought.
   */
  static start(digest: string, covers: readonly Cover[]): BehindCheckpoint {
    const start = new BehindCheckpoint(
      digest,
      new Map(covers.map((c) => [c.device, c.seq])),
      new Map(covers.map((c) => [c.device, 0])),
      0,
    );
    start.positions = new Positions(start.covers);
    return start;
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
   * What a batch's entries (brought by the doc) change: null when none is covered; else this, counted on, and
   * whether the doc may now hold every covered position. With the positions known (`knowsMissing`), it
   * holds them all when none is left unbrought; else when every covered device has brought at least as many
   * entries as the checkpoint covers (then read the doc: `learnMissing`).
   *
   * The positions are marked here and shared by every state made from this one, committed or not: they say
   * what the doc has brought, which a write that fails does not take back. So states are meant to be used
   * one after the other, each from the last, as the store does.
   */
  arriving(entries: readonly Position[]): { next: BehindCheckpoint; mayHoldAll: boolean } | null {
    let arrived: Map<string, number> | null = null;
    for (const e of entries) {
      if (!this.covered(e)) continue;
      arrived ??= new Map(this.arrived);
      arrived.set(e.device, (arrived.get(e.device) ?? 0) + 1);
      this.positions?.mark(e);
    }
    if (!arrived) return null;
    const next = new BehindCheckpoint(this.digest, this.covers, arrived, this.historyAt, this.asked);
    if (this.positions) {
      next.positions = this.positions;
      return { next, mayHoldAll: this.positions.left === 0 };
    }
    const mayHoldAll = [...this.covers].every(([device, seq]) => (arrived.get(device) ?? 0) >= seq);
    return { next, mayHoldAll };
  }

  /**
   * Whether the covered positions the doc has brought are known (from the start, or `learnMissing`): then
   * `arriving` says whether it holds them all, without reading the doc.
   */
  get knowsMissing(): boolean {
    return this.positions !== null;
  }

  /**
   * This state, with the counts and positions of `entries` (all of the doc's, the history included): for a
   * device started from a checkpoint's skeleton, whose history came to disk without bringing its entries
   * one by one (DocPersistence `write`).
   */
  learnedFrom(entries: Iterable<Position>): BehindCheckpoint {
    const learning = this.learning();
    for (const e of entries) learning.mark(e);
    return learning.learned();
  }

  /**
   * `learnedFrom`, an entry at a time: `mark` each of the doc's entries, then `learned`. What it keeps is a
   * count and a bit per covered position, never the entries (a whole doc's at ten million are gigabytes).
   */
  learning(): { mark(e: Position): void; learned(): BehindCheckpoint } {
    const arrived = new Map([...this.covers.keys()].map((device) => [device, 0]));
    const positions = new Positions(this.covers);
    return {
      mark: (e) => {
        if (!this.covered(e)) return;
        arrived.set(e.device, arrived.get(e.device)! + 1);
        positions.mark(e);
      },
      learned: () => {
        const next = new BehindCheckpoint(this.digest, this.covers, arrived, this.historyAt, this.asked);
        next.positions = positions;
        return next;
      },
    };
  }

  /** Whether the positions are known and the doc holds every one of them. */
  get holdsAll(): boolean {
    return this.positions !== null && this.positions.left === 0;
  }

  /**
   * Learns which covered positions these entries (all of the doc's) are at, every one from 1 to the covered
   * one of every covered device, and keeps them for later batches; true when none is lacking.
   */
  learnMissing(entries: Iterable<Position>): boolean {
    const learning = this.learningMissing();
    for (const e of entries) learning.mark(e);
    return learning.done();
  }

  /** `learnMissing`, an entry at a time: `mark` each of the doc's entries, then `done`. */
  learningMissing(): { mark(e: Position): void; done(): boolean } {
    const positions = new Positions(this.covers);
    return {
      mark: (e) => {
        if (this.covered(e)) positions.mark(e);
      },
      done: () => {
        this.positions = positions;
        return positions.left === 0;
      },
    };
  }
}

/**
 * The covered positions a doc has brought, a bit per position of each covered device (not a set of them: a
 * million positions in sets took 200 ms in one task; these are 125 kB at a million, and at most 5 MB: a
 * checkpoint covers no more than CHECKPOINT_LIMITS.positions), and how many are left.
 */
class Positions {
  private readonly seen = new Map<string, { last: number; bits: Uint8Array }>();
  left = 0;

  constructor(covers: ReadonlyMap<string, number>) {
    for (const [device, last] of covers) {
      this.seen.set(device, { last, bits: new Uint8Array((last >> 3) + 1) });
      this.left += last;
    }
  }

  /**
   * Notes a covered position as brought (a second entry at it changes nothing). Its callers pass covered
   * positions only; the range is checked again all the same, so that `left` can never count another.
   */
  mark(e: Position): void {
    const seen = this.seen.get(e.device);
    if (!seen || !(e.seq >= 1 && e.seq <= seen.last)) return;
    const bit = 1 << (e.seq & 7);
    const at = e.seq >> 3;
    const byte = seen.bits[at]!;
    if (byte & bit) return;
    seen.bits[at] = byte | bit;
    this.left--;
  }
}
