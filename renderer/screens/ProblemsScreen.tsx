import { useLiveQuery } from 'dexie-react-hooks';
import { useStore } from '../app/StoreContext';
import { formatDateTime } from '../app/time';

/** What was set aside because it failed validation: it does not count, and it is shown, never dropped silently. */
export function ProblemsScreen() {
  const store = useStore();
  const problems = useLiveQuery(() => store.db.problems.orderBy('where').toArray(), []);
  return (
    <section aria-labelledby="problems-title">
      <header className="screen-header">
        <h1 id="problems-title">Problems</h1>
        <p className="muted">
          Data that arrived here but failed its checks. It is set aside and not counted in any figure.
        </p>
      </header>
      {!problems ? (
        <p>Loading…</p>
      ) : problems.length === 0 ? (
        <p className="empty">No problems. Everything recorded or received passed its checks.</p>
      ) : (
        <table className="data" aria-label="Problems">
          <thead>
            <tr>
              <th scope="col">Where</th>
              <th scope="col">Reason</th>
              <th scope="col">Seen</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((p) => (
              <tr key={p.where}>
                <td>
                  <code>{p.where}</code>
                </td>
                <td>{p.reason}</td>
                <td>{formatDateTime(p.seenAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
