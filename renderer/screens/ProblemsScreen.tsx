import { useLiveQuery } from 'dexie-react-hooks';
import { useState } from 'react';
import { useStore } from '../app/StoreContext';
import { formatDateTime } from '../app/time';
import { fileService } from '../platform/files';
import {
  DAMAGE_KIND_LABEL,
  PROBLEM_KIND_LABEL,
  damageKind,
  problemKind,
  problemsReport,
  reportFile,
  type DamageKind,
  type ProblemKind,
} from '../storage/report';
import type { ProblemRow } from '../storage/db';
import { useDomainText } from '../app/domainText';

const plural = (n: number, one: string, many: string) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * What was set aside: saved data this device could not read at a start (kept, never deleted), and what
 * arrived or was found that failed its checks (it does not count). Shown, never dropped silently, and
 * downloadable as a report without personal data for whoever helps the hub.
 */
export function ProblemsScreen() {
  const store = useStore();
  const problems = useLiveQuery(() => store.db.problems.orderBy('where').toArray(), []);
  const damaged = useLiveQuery(
    // The rows' bytes stay on disk: the screen needs only what they were and when.
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
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const download = async () => {
    setMessage(null);
    try {
      const { name, bytes } = reportFile(await problemsReport(store.db, Date.now()));
      const where = await fileService().save(
        name,
        bytes,
        { name: 'JSON file', extensions: ['json'] },
        'application/json',
      );
      if (where) setMessage({ text: `Report saved: ${where}.`, error: false });
    } catch (e) {
      setMessage({
        text: `Could not save the report: ${e instanceof Error ? e.message : String(e)}`,
        error: true,
      });
    }
  };

  const loading = !problems || !damaged;
  const empty = !loading && problems.length === 0 && damaged.length === 0;
  return (
    <section aria-labelledby="problems-title">
      <header className="screen-header">
        <h1 id="problems-title">Problems</h1>
        <p className="muted">
          What this device set aside: saved data it could not read, and data that arrived here but failed its
          checks. None of it counts in any figure, and none of it is deleted.
        </p>
      </header>
      {loading ? (
        <p>Loading…</p>
      ) : empty ? (
        <p className="empty">No problems. Everything recorded or received passed its checks.</p>
      ) : (
        <>
          <section className="card" aria-labelledby="report-title">
            <h2 id="report-title">Report</h2>
            <p className="muted">
              A file listing what was set aside and why, to send to whoever helps your hub. It holds ids,
              dates and reasons only: no notes, names, or keys.
            </p>
            <button type="button" onClick={() => void download()}>
              Download report
            </button>
            {message && <p role={message.error ? 'alert' : 'status'}>{message.text}</p>}
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
  if (rows.length === 0) return null;
  const entries = rows.reduce((n, r) => n + r.entries, 0);
  return (
    <section aria-labelledby="damaged-title">
      <h2 id="damaged-title">Saved data that could not be read</h2>
      <p>
        {plural(rows.length, 'part', 'parts')} of this device’s saved data could not be read when Larder
        started, holding about {plural(entries, 'entry', 'entries')}. They are kept aside on this device.
        Syncing with another device, or importing a sync file from one, brings back what they held.
      </p>
      <table className="data" aria-label="Saved data set aside">
        <thead>
          <tr>
            <th scope="col">Set aside</th>
            <th scope="col">What was wrong</th>
            <th scope="col">Entries</th>
            <th scope="col">Size</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{formatDateTime(r.setAsideAt)}</td>
              <td>{DAMAGE_KIND_LABEL[r.kind]}</td>
              <td>{r.entries.toLocaleString('en-US')}</td>
              <td>{plural(r.bytes, 'byte', 'bytes')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function RefusedData({ problems }: { problems: readonly ProblemRow[] }) {
  const text = useDomainText();
  if (problems.length === 0) return null;
  const byKind = new Map<ProblemKind, number>();
  for (const p of problems) byKind.set(problemKind(p.where), (byKind.get(problemKind(p.where)) ?? 0) + 1);
  return (
    <section aria-labelledby="refused-title">
      <h2 id="refused-title">Data that failed its checks</h2>
      <p>
        {plural(problems.length, 'thing', 'things')} arrived here or were found that failed their checks. They
        are set aside and do not count.
      </p>
      <ul className="plain" aria-label="Failed checks by kind">
        {[...byKind].map(([kind, n]) => (
          <li key={kind}>
            {PROBLEM_KIND_LABEL[kind]}: {n.toLocaleString('en-US')}
          </li>
        ))}
      </ul>
      <table className="data" aria-label="Problems">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Where</th>
            <th scope="col">Reason</th>
            <th scope="col">Seen</th>
          </tr>
        </thead>
        <tbody>
          {problems.map((p) => (
            <tr key={p.where}>
              <td>{PROBLEM_KIND_LABEL[problemKind(p.where)]}</td>
              <td>
                <code>{p.where}</code>
              </td>
              <td>{text(p.reason)}</td>
              <td>{formatDateTime(p.seenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
