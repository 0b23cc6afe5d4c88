import { FederatedEvaluationReport, type RoundSeriesPoint } from '@flock/fl-core/protocol';
import { useEffect, useState } from 'react';
import { formatPercent } from '../../format.ts';
import { adminCall, type ApiResult } from '../api/adminApi.ts';

/** A table row per evaluated model: the most recent ones, so a long federation does not render hundreds of rows. */
const EVALUATIONS_SHOWN = 20;

interface FederatedEvaluationProps {
  token: string;
  federationId: string;
  /** The coordinator's own accuracy per round goes beside the devices'. */
  points: RoundSeriesPoint[];
  /** Changes when the federation changed: the report is fetched again. */
  refreshKey: number;
}

/**
 * Federated evaluation: per model (the initial one, then the one each round produced, the final one
 * included), how it scored on the device's
 * held-out examples (min / median / max across devices, as a bar from min to max with the median
 * marked), beside the coordinator's own test accuracy when it has test data.
 */
export function FederatedEvaluation({ token, federationId, points, refreshKey }: FederatedEvaluationProps) {
  const [loaded, setLoaded] = useState<ApiResult<FederatedEvaluationReport> | null>(null);

  useEffect(() => {
    let current = true;
    const path = `/api/federations/${encodeURIComponent(federationId)}/evaluations`;
    void adminCall(token, 'GET', path, FederatedEvaluationReport).then((result) => current && setLoaded(result));
    return () => {
      current = false;
    };
  }, [token, federationId, refreshKey]);

  const coordinator = new Map(points.map((p) => [p.round, p.accuracy]));
  const shown = loaded?.ok ? loaded.value.rounds.slice(-EVALUATIONS_SHOWN) : [];
  return (
    <section className="card" data-testid="federated-evaluation">
      <h2>Federated evaluation</h2>
      {loaded?.ok === false && <p className="error">{loaded.reason}</p>}
      {loaded?.ok && loaded.value.rounds.length === 0 && (
        <p className="muted">
          No device has reported an evaluation yet (devices with their own data score each model they receive, and the final one when the federation finishes).
        </p>
      )}
      {loaded?.ok && loaded.value.rounds.length > EVALUATIONS_SHOWN && (
        <p className="muted">
          The {EVALUATIONS_SHOWN} most recent of {loaded.value.rounds.length} evaluated models.
        </p>
      )}
      {shown.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Model</th>
                <th>Devices</th>
                <th>Held-out examples</th>
                <th>Device accuracy: min / median / max</th>
                <th>Spread</th>
                <th>All held-out examples</th>
                <th>Coordinator test accuracy</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.round} data-testid="federated-evaluation-row">
                  <td>{r.round === 0 ? 'initial' : `after round ${r.round}`}</td>
                  <td data-testid="federated-evaluation-devices">{r.devices}</td>
                  <td>{r.examples}</td>
                  <td data-testid="federated-evaluation-accuracy">
                    {formatPercent(r.accuracy.min)} / {formatPercent(r.accuracy.median)} / {formatPercent(r.accuracy.max)}
                  </td>
                  <td>
                    <SpreadBar {...r.accuracy} />
                  </td>
                  <td>{formatPercent(r.pooledAccuracy)}</td>
                  <td>{coordinator.has(r.round) ? formatPercent(coordinator.get(r.round)) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** min..max as a bar on a 0-100% scale, the median as a tick. */
function SpreadBar({ min, median, max }: { min: number; median: number; max: number }) {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return (
    <svg width="120" height="12" role="img" aria-label={`from ${pct(min)} to ${pct(max)}, median ${pct(median)}`}>
      <rect x="0" y="5" width="120" height="2" fill="#ddd" />
      <rect x={min * 120} y="2" width={Math.max(1, (max - min) * 120)} height="8" fill="#7aa7d8" />
      <rect x={median * 120 - 1} y="0" width="2" height="12" fill="#1d4f91" />
    </svg>
  );
}
