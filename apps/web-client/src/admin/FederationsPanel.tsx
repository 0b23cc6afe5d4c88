import type { FederationSummary } from '@flock/fl-core/protocol';
import { useState } from 'react';
import { archiveFederation, cloneFederation } from './api/adminApi.ts';
import { useCanOperate } from './api/session.ts';
import type { ConsoleRoute } from './consoleRoute.ts';
import { ConsoleLink } from './FederationConsole.tsx';

interface FederationsPanelProps {
  token: string;
  federations: FederationSummary[];
  selected: string;
  showArchived: boolean;
  onShowArchived: (show: boolean) => void;
  onSelect: (federationId: string) => void;
  navigate: (route: ConsoleRoute) => void;
  onNew: () => void;
  onEdit: (summary: FederationSummary) => void;
  /** After a clone or an archive: the list must be fetched again. */
  onChanged: (select?: string) => void;
}

/** Whether the coordinator still accepts an edit: only before the first start. */
export function editable(summary: FederationSummary): boolean {
  return summary.status === 'idle' && summary.round === 0;
}

/** Every federation with its status, round and devices (its id opens its console); archived ones behind a toggle. */
export function FederationsPanel({
  token,
  federations,
  selected,
  showArchived,
  onShowArchived,
  onSelect,
  navigate,
  onNew,
  onEdit,
  onChanged,
}: FederationsPanelProps) {
  const [problem, setProblem] = useState<string | null>(null);
  const [cloneId, setCloneId] = useState('');
  const canOperate = useCanOperate();
  const current = federations.find((f) => f.config.id === selected);

  const run = async (action: () => Promise<{ ok: true } | { ok: false; reason: string }>, select?: string) => {
    const result = await action();
    setProblem(result.ok ? null : result.reason);
    if (result.ok) onChanged(select);
  };

  return (
    <section className="card">
      <div className="controls">
        <h2>Federations</h2>
        {canOperate && (
          <button data-testid="new-federation" onClick={onNew}>
            New federation
          </button>
        )}
        <label>
          <input data-testid="show-archived" type="checkbox" checked={showArchived} onChange={(e) => onShowArchived(e.target.checked)} /> Show archived
        </label>
      </div>
      <div className="table-wrap">
        <table className="table" data-testid="federations-table">
          <thead>
            <tr>
              <th>Federation</th>
              <th>Status</th>
              <th className="num">Round</th>
              <th className="num">Devices</th>
              <th>Model and data</th>
            </tr>
          </thead>
          <tbody>
            {federations.map((f) => (
              <tr
                key={f.config.id}
                data-testid="federation-row"
                data-federation-id={f.config.id}
                className={`selectable${f.config.id === selected ? ' selected' : ''}${f.archived ? ' archived' : ''}`}
                onClick={() => onSelect(f.config.id)}
              >
                <td>
                  <ConsoleLink route={{ federationId: f.config.id, view: 'overview' }} navigate={navigate} data-testid="open-federation">
                    <strong>{f.config.id}</strong>
                  </ConsoleLink>{' '}
                  <span className="muted">{f.config.name}</span>
                  {f.archived && <span className="muted"> (archived)</span>}
                </td>
                <td>
                  <span className={`state state-${f.status}`}>{f.status}</span>
                </td>
                <td className="num">
                  {f.round} / {f.config.maxRounds}
                </td>
                <td className="num">{!f.devices ? '—' : f.devices.registered === 0 ? 'none yet' : `${f.devices.connected} of ${f.devices.registered}`}</td>
                <td>
                  {f.config.model} on {f.config.dataset.kind}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {current && canOperate && (
        <div className="controls">
          <button data-testid="edit-federation" disabled={!editable(current)} title="only before the first start" onClick={() => onEdit(current)}>
            Edit
          </button>
          <input data-testid="clone-id" placeholder="new id" value={cloneId} onChange={(e) => setCloneId(e.target.value)} />
          <button
            data-testid="clone-federation"
            disabled={cloneId.trim() === ''}
            onClick={() => void run(() => cloneFederation(token, current.config.id, { id: cloneId.trim() }), cloneId.trim())}
          >
            Clone
          </button>
          <button data-testid="archive-federation" onClick={() => void run(() => archiveFederation(token, current.config.id, !current.archived))}>
            {current.archived ? 'Unarchive' : 'Archive'}
          </button>
        </div>
      )}
      {problem && (
        <p className="error" data-testid="federations-error">
          {problem}
        </p>
      )}
    </section>
  );
}
