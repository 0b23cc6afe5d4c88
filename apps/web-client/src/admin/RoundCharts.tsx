import type { RoundRecord } from '@flock/fl-core/protocol';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatBytes } from '../format.ts';

const CHART = { height: 200, margin: { top: 8, right: 16, bottom: 8, left: 0 } };

/** Participation, bytes up/down and duration per completed round, beside the accuracy/loss chart. */
export function RoundCharts({ rounds }: { rounds: RoundRecord[] }) {
  if (rounds.length === 0) return null;
  const data = [...rounds]
    .sort((a, b) => a.round - b.round)
    .map((r) => ({ round: r.round, participants: r.participants, rejected: r.rejected, bytesUp: r.bytesUp, bytesDown: r.bytesDown, seconds: r.durationMs / 1000 }));
  return (
    <div className="round-charts">
      <figure className="chart" data-testid="participation-chart">
        <figcaption>Participation</figcaption>
        <ResponsiveContainer width="100%" height={CHART.height}>
          <BarChart data={data} margin={CHART.margin}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            <XAxis dataKey="round" allowDecimals={false} />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Bar dataKey="participants" name="updates aggregated" stackId="u" fill="#2f7d32" isAnimationActive={false} />
            <Bar dataKey="rejected" name="updates rejected" stackId="u" fill="#c0392b" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure className="chart" data-testid="bytes-chart">
        <figcaption>Bytes per round</figcaption>
        <ResponsiveContainer width="100%" height={CHART.height}>
          <BarChart data={data} margin={CHART.margin}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            <XAxis dataKey="round" allowDecimals={false} />
            <YAxis tickFormatter={(v: number) => formatBytes(v)} width={72} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? formatBytes(v) : String(v))} />
            <Legend />
            <Bar dataKey="bytesDown" name="down (model)" fill="#2e6da4" isAnimationActive={false} />
            <Bar dataKey="bytesUp" name="up (updates)" fill="#e59866" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure className="chart" data-testid="duration-chart">
        <figcaption>Round duration (s)</figcaption>
        <ResponsiveContainer width="100%" height={CHART.height}>
          <LineChart data={data} margin={CHART.margin}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            <XAxis dataKey="round" allowDecimals={false} />
            <YAxis />
            <Tooltip formatter={(v) => (typeof v === 'number' ? `${v.toFixed(1)} s` : String(v))} />
            <Line type="monotone" dataKey="seconds" name="duration" stroke="#6c3483" isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
