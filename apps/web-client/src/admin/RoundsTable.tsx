import type { RoundRecord } from '@flock/fl-core/protocol';
import { formatBytes, formatDuration, formatNumber, formatPercent } from '../format.ts';

/** Completed rounds, newest first. */
export function RoundsTable({ rounds }: { rounds: RoundRecord[] }) {
  if (rounds.length === 0) return <p className="muted">No round has completed yet.</p>;
  const newestFirst = [...rounds].sort((a, b) => b.round - a.round);
  return (
    <table className="table" data-testid="rounds-table">
      <thead>
        <tr>
          <th className="num">Round</th>
          <th className="num">Participants</th>
          <th className="num">Examples</th>
          <th className="num">Accuracy</th>
          <th className="num">Loss</th>
          <th className="num">Duration</th>
          <th className="num">Bytes up</th>
          <th className="num">Bytes down</th>
        </tr>
      </thead>
      <tbody>
        {newestFirst.map((r) => (
          <tr key={r.round} data-testid="round-row" data-round={r.round}>
            <td className="num">{r.round}</td>
            <td className="num">
              {r.participants}
              {r.rejected > 0 && <span className="muted"> (+{r.rejected} rejected)</span>}
            </td>
            <td className="num">{r.examples}</td>
            <td className="num">{formatPercent(r.accuracy)}</td>
            <td className="num">{formatNumber(r.loss)}</td>
            <td className="num">{formatDuration(r.durationMs)}</td>
            <td className="num">{formatBytes(r.bytesUp)}</td>
            <td className="num">{formatBytes(r.bytesDown)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
