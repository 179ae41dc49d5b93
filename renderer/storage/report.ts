import { messageForLog } from '../../shared/messages';
import type { DamagedRow, DamageMetaRow, LarderDB, ProblemRow } from './db';

/**
 * The Problems screen's "Download report": what this device set aside, for whoever helps a hub with it.
 * It names rows and entries by their ids and says why each was set aside, and nothing else: no note or
 * item text, no device or hub names, no update bytes (they hold notes), no key material. Strings that
 * came from a peer (a problem's `where`) are cut to a bounded length.
 */
export const REPORT_FORMAT = 'larder-problems-report';
export const REPORT_VERSION = 1;
/** Longest reference or reason copied into the report: a peer chooses what they hold. */
const MAX_TEXT = 200;
/** Problems listed one by one (the counts by kind cover them all). */
export const MAX_REPORTED = 5_000;

/** What kind of damage a set-aside update row had, from the reason `DocPersistence.load` gave. */
export type DamageKind = 'not-update-data' | 'empty' | 'damaged-bytes' | 'refused-by-yjs' | 'other';

export function damageKind(reason: string): DamageKind {
  if (reason === 'it is not update data') return 'not-update-data';
  if (reason === 'it is empty') return 'empty';
  if (reason === 'its bytes are damaged or cut short') return 'damaged-bytes';
  if (reason.startsWith('Yjs could not apply it')) return 'refused-by-yjs';
  return 'other';
}

/** What a problem is about, from where it was found (the Problems screen words each kind). */
export type ProblemKind =
  'entry' | 'ledger' | 'device-history' | 'member-list' | 'setting' | 'peer-update' | 'other';

export function problemKind(where: string): ProblemKind {
  const head = where.split('/', 1)[0]!;
  if (head === 'entry') return 'entry';
  if (head === 'ledger') return 'ledger';
  if (head === 'device') return 'device-history';
  if (head === 'members') return 'member-list';
  if (['items', 'hubs', 'devices', 'levels', 'categoryLevels'].includes(head)) return 'setting';
  if (where.startsWith('peer update received')) return 'peer-update';
  return 'other';
}

export interface ProblemsReport {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  madeAt: string;
  /** Update rows this device could not load at a start, kept aside (never deleted). */
  setAside: {
    rows: number;
    entries: number;
    bytes: number;
    byKind: Partial<Record<DamageKind, number>>;
    list: {
      id: number;
      setAsideAt: string;
      kind: DamageKind;
      reason: string;
      entries: number;
      bytes: number;
    }[];
  };
  /** Entries the figures held before the damage that the loaded data still lacks (null: nothing missing). */
  missing: { since: string; entries: number } | null;
  /** What arrived or was found and failed its checks: it is set aside and never counts. */
  refused: {
    count: number;
    byKind: Partial<Record<ProblemKind, number>>;
    list: { kind: ProblemKind; where: string; reason: string; seenAt: string }[];
  };
}

const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : 'unknown');
const bounded = (text: string) =>
  text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}… (${text.length} characters)`;

function countBy<K extends string>(keys: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

/** The report from the rows themselves (pure). `missingNow` is how many missing entries are still not back. */
export function buildProblemsReport(input: {
  damaged: readonly Pick<DamagedRow, 'id' | 'update' | 'entries' | 'reason' | 'setAsideAt'>[];
  damage: DamageMetaRow | null;
  missingNow: number;
  problems: readonly ProblemRow[];
  now: number;
}): ProblemsReport {
  const damaged = [...input.damaged].sort((a, b) => a.setAsideAt - b.setAsideAt || a.id - b.id);
  const sizeOf = (u: unknown) => (u instanceof Uint8Array ? u.byteLength : 0);
  const kinds = damaged.map((d) => damageKind(d.reason));
  const problems = [...input.problems].sort((a, b) => a.seenAt - b.seenAt || (a.where < b.where ? -1 : 1));
  const problemKinds = problems.map((p) => problemKind(p.where));
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    madeAt: iso(input.now),
    setAside: {
      rows: damaged.length,
      entries: damaged.reduce((n, d) => n + (Number.isFinite(d.entries) ? d.entries : 0), 0),
      bytes: damaged.reduce((n, d) => n + sizeOf(d.update), 0),
      byKind: countBy(kinds),
      list: damaged.map((d, i) => ({
        id: d.id,
        setAsideAt: iso(d.setAsideAt),
        kind: kinds[i]!,
        reason: bounded(d.reason),
        entries: d.entries,
        bytes: sizeOf(d.update),
      })),
    },
    missing:
      input.damage && input.missingNow > 0
        ? { since: iso(input.damage.at), entries: input.missingNow }
        : null,
    refused: {
      count: problems.length,
      byKind: countBy(problemKinds),
      list: problems.slice(0, MAX_REPORTED).map((p, i) => ({
        kind: problemKinds[i]!,
        where: bounded(p.where),
        // The code and its parameters: whoever reads the report reads them in any language.
        reason: bounded(typeof p.reason === 'string' ? p.reason : messageForLog(p.reason)),
        seenAt: iso(p.seenAt),
      })),
    },
  };
}

/**
 * How many entries the damage notice lists that are still missing. The notice keeps at most
 * MAX_MISSING_LISTED of them; past that its count is the best known.
 */
async function stillMissing(db: LarderDB, damage: DamageMetaRow | null): Promise<number> {
  if (!damage) return 0;
  // Only when there was damage; the module that unpacks the ledger's blocks is not the first view's (the
  // Shell's badge reads this one's damageKind).
  const { getLedgerRows } = await import('./ledgerRows');
  const back = await getLedgerRows(
    db,
    damage.missing.map((m) => m.id),
  );
  const listedBack = back.filter((r) => !!r).length;
  return Math.max(0, damage.missingCount - listedBack);
}

/** Reads what the report needs from the device's database. */
export async function problemsReport(db: LarderDB, now: number): Promise<ProblemsReport> {
  const [damaged, meta, problems] = await Promise.all([
    db.damaged.toArray(),
    db.meta.get('damage'),
    db.problems.toArray(),
  ]);
  const damage = meta?.key === 'damage' ? meta : null;
  return buildProblemsReport({ damaged, damage, missingNow: await stillMissing(db, damage), problems, now });
}

/** The report as the file a coordinator sends: pretty JSON, UTF-8. */
export function reportFile(report: ProblemsReport): { name: string; bytes: Uint8Array } {
  const day = report.madeAt.slice(0, 10);
  return {
    name: `larder-problems-${day}.json`,
    bytes: new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`),
  };
}
