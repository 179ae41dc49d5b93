import { makeProblemsReport, useDamaged, useProblems } from '../data/problems';
import { useStore } from '../app/StoreContext';
import { fileService } from '../platform/files';
import { problemKind, reportFile, type DamageKind, type ProblemKind } from '../storage/report';
import type { ProblemRow } from '../storage/db';
import { useDomainText } from '../app/domainText';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../i18n/format';
import { useCommand } from '../app/useCommand';

/** Each kind of damage and of problem, as catalog keys. */
const DAMAGE_KIND_LABEL: Record<DamageKind, string> = {
  'not-update-data': 'problems.damage.notUpdateData',
  empty: 'problems.damage.empty',
  'damaged-bytes': 'problems.damage.damagedBytes',
  'refused-by-yjs': 'problems.damage.refusedByYjs',
  other: 'problems.damage.other',
};

const PROBLEM_KIND_LABEL: Record<ProblemKind, string> = {
  entry: 'problems.kind.entry',
  ledger: 'problems.kind.ledger',
  'device-history': 'problems.kind.deviceHistory',
  'member-list': 'problems.kind.memberList',
  setting: 'problems.kind.setting',
  'peer-update': 'problems.kind.peerUpdate',
  other: 'problems.kind.other',
};

/**
 * What was set aside: saved data this device could not read at a start (kept, never deleted), and what
 * arrived or was found that failed its checks (it does not count). Shown, never dropped silently, and
 * downloadable as a report without personal data for whoever helps the hub.
 */
export function ProblemsScreen() {
  const store = useStore();
  const problems = useProblems();
  const damaged = useDamaged();
  const command = useCommand();
  const { t } = useTranslation();

  const download = async () => {
    command.clear();
    await command.run(
      async () => {
        const { name, bytes } = reportFile(await makeProblemsReport(store, Date.now()));
        return fileService().save(
          name,
          bytes,
          { name: t('problems.jsonFile'), extensions: ['json'] },
          'application/json',
        );
      },
      {
        done: (where) => (where ? t('problems.reportSaved', { where }) : null),
        failed: (e) => t('problems.reportFailed', { reason: e instanceof Error ? e.message : String(e) }),
      },
    );
  };

  const loading = !problems || !damaged;
  const empty = !loading && problems.length === 0 && damaged.length === 0;
  return (
    <section aria-labelledby="problems-title">
      <header className="screen-header">
        <h1 id="problems-title">{t('nav.problems')}</h1>
        <p className="muted">{t('problems.lead')}</p>
      </header>
      {loading ? (
        <p>{t('problems.loading')}</p>
      ) : empty ? (
        <p className="empty">{t('problems.none')}</p>
      ) : (
        <>
          <section className="card" aria-labelledby="report-title">
            <h2 id="report-title">{t('problems.reportTitle')}</h2>
            <p className="muted">{t('problems.reportLead')}</p>
            <button type="button" onClick={() => void download()}>
              {t('problems.download')}
            </button>
            {/* Here only once there is something to say, and a failure as an alert: the report is asked for. */}
            {command.message && (
              <p role={command.message.error ? 'alert' : 'status'}>{command.message.text}</p>
            )}
          </section>
          <DamagedRows rows={damaged} />
          <RefusedData problems={problems} />
        </>
      )}
    </section>
  );
}

function DamagedRows({
  rows,
}: {
  rows: { id: number; setAsideAt: number; entries: number; kind: DamageKind; bytes: number }[];
}) {
  const { t } = useTranslation();
  const format = useFormat();
  if (rows.length === 0) return null;
  const entries = rows.reduce((n, r) => n + r.entries, 0);
  return (
    <section aria-labelledby="damaged-title">
      <h2 id="damaged-title">{t('problems.damagedTitle')}</h2>
      <p>
        {t('problems.damagedParts', {
          count: rows.length,
          n: format.number(rows.length),
          entries: t('problems.entries', { count: entries, n: format.number(entries) }),
        })}{' '}
        {t('problems.damagedRest')}
      </p>
      <div className="table-scroll">
        <table className="data" aria-label={t('problems.damagedLabel')}>
          <thead>
            <tr>
              <th scope="col">{t('problems.colSetAside')}</th>
              <th scope="col">{t('problems.colWrong')}</th>
              <th scope="col">{t('members.entries')}</th>
              <th scope="col">{t('problems.colSize')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <td>{format.dateTime(r.setAsideAt)}</td>
                <td>{t(DAMAGE_KIND_LABEL[r.kind])}</td>
                <td>{format.number(r.entries)}</td>
                <td>{t('common.bytes', { count: r.bytes, n: format.number(r.bytes) })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function RefusedData({ problems }: { problems: readonly ProblemRow[] }) {
  const text = useDomainText();
  const { t } = useTranslation();
  const format = useFormat();
  if (problems.length === 0) return null;
  const byKind = new Map<ProblemKind, number>();
  for (const p of problems) byKind.set(problemKind(p.where), (byKind.get(problemKind(p.where)) ?? 0) + 1);
  return (
    <section aria-labelledby="refused-title">
      <h2 id="refused-title">{t('problems.refusedTitle')}</h2>
      <p>{t('problems.refusedLead', { count: problems.length, n: format.number(problems.length) })}</p>
      <ul className="plain" aria-label={t('problems.byKindLabel')}>
        {[...byKind].map(([kind, n]) => (
          <li key={kind}>
            {t(PROBLEM_KIND_LABEL[kind])}: {format.number(n)}
          </li>
        ))}
      </ul>
      <div className="table-scroll">
        <table className="data" aria-label={t('nav.problems')}>
          <thead>
            <tr>
              <th scope="col">{t('history.kind')}</th>
              <th scope="col">{t('problems.colWhere')}</th>
              <th scope="col">{t('movement.reason')}</th>
              <th scope="col">{t('problems.colSeen')}</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((p) => (
              <tr key={p.where}>
                <td>{t(PROBLEM_KIND_LABEL[problemKind(p.where)])}</td>
                <td>
                  <code>{p.where}</code>
                </td>
                <td>{text(p.reason)}</td>
                <td>{format.dateTime(p.seenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
