import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../shared/entries';
import { Projector, type LedgerRow } from '../../../shared/projection';
import { transferViews } from '../../../shared/transfers';
import { decodeBody, decodeHead, encodeBody, type CheckpointBody } from '../../../shared/checkpoint/format';
import { checkpointBody, checkpointDigest } from '../../../shared/checkpoint/make';
import { chooseCheckpoint, type VerifiedCheckpoint } from '../../../shared/checkpoint/verify';
import { coveredBy, seedProjector, undoProblems } from '../../../shared/checkpoint/seed';
import { fcOptions } from '../arbitraries';
import { coversAt, cutArb, cutsOf, historyArb, isCovered, joinCuts, shuffled, type Cuts } from './history';

const NET = 'net0';

function project(entries: readonly Entry[], projector = new Projector()): Projector {
  for (const e of entries) projector.apply(e);
  return projector;
}

/** The checkpoint a device makes after counting exactly the covered entries, through its bytes. */
function checkpointOf(
  by: string,
  history: readonly Entry[],
  cuts: Cuts,
  order: readonly number[],
): CheckpointBody {
  const maker = project(shuffled(history.filter(isCovered(cuts)), order));
  const body = checkpointBody({
    network: NET,
    by,
    at: Date.UTC(2025, 0, 4),
    covers: coversAt(NET, history, cuts),
    stock: maker.allStock(),
    usage: maker.allUsage(),
    ledger: maker.allLedger(),
    settings: [],
  });
  return decodeBody(encodeBody(body));
}

const byKey = <T extends { key: string }>(rows: readonly T[]) =>
  Object.fromEntries([...rows].sort((a, b) => (a.key < b.key ? -1 : 1)).map((r) => [r.key, r]));
const effects = (rows: readonly LedgerRow[]) =>
  Object.fromEntries(rows.map((r) => [r.id, [r.applied, r.reversedBy ?? null]]));
const transfers = (rows: readonly LedgerRow[]) => transferViews(rows).sort((a, b) => (a.id < b.id ? -1 : 1));

/** Everything a screen shows from the projection: stock, usage (days of cover), transfers, the history's effects. */
function figures(p: Projector) {
  return {
    stock: byKey(p.allStock()),
    usage: byKey(p.allUsage()),
    transfers: transfers(p.allLedger()),
    ledger: effects(p.allLedger()),
  };
}

/** Starts from a checkpoint, then takes every entry it does not cover, in the given order. */
function fromCheckpoint(
  body: CheckpointBody,
  history: readonly Entry[],
  order: readonly number[],
): Projector {
  const covered = coveredBy(body.covers);
  return project(
    shuffled(
      history.filter((e) => !covered(e)),
      order,
    ),
    seedProjector(body, body.rows).projector,
  );
}

const orderArb = fc.array(fc.integer(), { minLength: 1, maxLength: 80 });

describe('starting from a checkpoint', () => {
  it('gives the figures of the whole history, for checkpoints made concurrently at any cuts', () => {
    fc.assert(
      fc.property(historyArb, cutArb, cutArb, orderArb, orderArb, orderArb, (history, fa, fb, o1, o2, o3) => {
        const whole = figures(project(shuffled(history, o1)));
        const a = checkpointOf('deva', history, cutsOf(history, fa), o2);
        const b = checkpointOf('devb', history, cutsOf(history, fb), o3);
        expect(figures(fromCheckpoint(a, history, o3))).toEqual(whole);
        expect(figures(fromCheckpoint(b, history, o1))).toEqual(whole);
        // Nothing the checkpoint counts is taken again: no entry reported twice (the Problems screen lists those).
        const duplicates = (p: Projector) => p.problems.filter((x) => x.reason.code === 'entry.duplicate');
        expect(duplicates(fromCheckpoint(a, history, o3))).toEqual([]);

        // Whichever of the two concurrent checkpoints a device picks, every device picks the same one.
        const bodies = new Map<string, CheckpointBody>();
        const verified = [a, b].map((body): VerifiedCheckpoint => {
          const { head } = encodeBody(body);
          bodies.set(checkpointDigest(head), body);
          return {
            head: decodeHead(head),
            digest: checkpointDigest(head),
            covered: body.covers.reduce((n, c) => n + c.seq, 0),
            rejectedSettings: [],
            settingValues: [],
          };
        });
        const chosen = chooseCheckpoint(verified)!;
        expect(chooseCheckpoint([...verified].reverse())!.digest).toBe(chosen.digest);
        expect(figures(fromCheckpoint(bodies.get(chosen.digest)!, history, o2))).toEqual(whole);
      }),
      fcOptions(),
    );
  });

  it('makes, from a checkpoint and the entries after it, the very bytes the whole history makes', () => {
    fc.assert(
      fc.property(historyArb, cutArb, cutArb, orderArb, orderArb, (history, fa, fb, o1, o2) => {
        const first = cutsOf(history, fa);
        const later = joinCuts(first, cutsOf(history, fb));
        const a = checkpointOf('deva', history, first, o1);
        // A device started from `a` counts what follows up to `later`, then makes its own checkpoint.
        const seeded = seedProjector(a, a.rows).projector;
        const covered = coveredBy(a.covers);
        project(
          shuffled(
            history.filter((e) => !covered(e) && isCovered(later)(e)),
            o2,
          ),
          seeded,
        );
        const again = checkpointBody({
          network: NET,
          by: 'devc',
          at: Date.UTC(2025, 0, 4),
          covers: coversAt(NET, history, later),
          stock: seeded.allStock(),
          usage: seeded.allUsage(),
          ledger: seeded.allLedger(),
          settings: [],
        });
        const direct = checkpointOf('devc', history, later, o2);
        const bytes = (body: CheckpointBody) => Object.values(encodeBody(body));
        expect(bytes(again)).toEqual(bytes(direct));
      }),
      fcOptions(0.5),
    );
  });

  it('sets aside, from its rows, every undo problem a replay reports', () => {
    fc.assert(
      fc.property(historyArb, cutArb, orderArb, (history, f, order) => {
        const cuts = cutsOf(history, f);
        const body = checkpointOf('deva', history, cuts, order);
        const replayed = project(shuffled(history.filter(isCovered(cuts)), order)).problems;
        const derived = seedProjector(body, body.rows).problems;
        // A replay reports an undo of an undo only if the undone undo came first; the rows give all of them.
        expect(derived).toEqual(expect.arrayContaining(replayed));
        expect(undoProblems(body.rows)).toEqual(derived);
      }),
      fcOptions(0.5),
    );
  });
});
