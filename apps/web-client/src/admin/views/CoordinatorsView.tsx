import { useEffect } from 'react';
import { useCoordinators } from '../api/coordinatorsApi.ts';
import { coordinatorWords } from './coordinatorWords.ts';

/** Every coordinator sharing this one's database: whether it is still heard from, the federations it runs, its devices. */
export function CoordinatorsView({ token, onUnauthorized }: { token: string; onUnauthorized: () => void }) {
  const coordinators = useCoordinators(token);
  const signedOut = coordinators !== null && !coordinators.ok && coordinators.status === 401;
  useEffect(() => {
    if (signedOut) onUnauthorized();
  }, [signedOut, onUnauthorized]);
  return (
    <section className="card" data-testid="coordinators-view">
      <h2>Coordinators</h2>
      {coordinators === null && <p className="muted">Asking the coordinator…</p>}
      {coordinators && !coordinators.ok && (
        <p className="error">Could not list the coordinators: {coordinators.reason}. The list is asked for again every few seconds.</p>
      )}
      {coordinators?.ok && (
        <div className="table-wrap">
          <table className="table" data-testid="coordinators-table">
            <thead>
              <tr>
                <th>Coordinator</th>
                <th>Heard from</th>
                <th>Federations</th>
                <th className="num">Devices</th>
              </tr>
            </thead>
            <tbody>
              {coordinators.value.map((c) => {
                const words = coordinatorWords(c);
                return (
                  <tr key={c.id} data-testid="coordinator-row" data-coordinator-id={c.id} className={c.alive ? undefined : 'archived'}>
                    <td>
                      <strong>{c.id}</strong> <span className="muted">{c.url}</span>
                      <br />
                      <span className="muted">{words.upSince}</span>
                    </td>
                    <td className={c.alive ? undefined : 'error'}>{words.heard}</td>
                    <td>{words.runs}</td>
                    <td className="num">{words.devices}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
