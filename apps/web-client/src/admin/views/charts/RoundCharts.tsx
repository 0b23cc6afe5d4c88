import type { RoundSeriesPoint } from '@flock/fl-core/protocol';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatBytes } from '../../../format.ts';
import { AXIS, CHART_MARGIN, lineDots } from './chartStyle.ts';

const HEIGHT = 200;

function RoundAxis() {
  return <XAxis dataKey="round" allowDecimals={false} height={AXIS.xHeight} label={{ value: 'round', position: 'insideBottom', offset: 0 }} />;
}

/** Participation, bytes up/down and duration per round (or per bucket of rounds past a few hundred). */
export function RoundCharts({ points }: { points: RoundSeriesPoint[] }) {
  if (points.length === 0) return null;
  const data = points.map((p) => ({ ...p, seconds: p.durationMs / 1000 }));
  return (
    <div className="round-charts">
      <figure className="chart" data-testid="participation-chart">
        <figcaption>Updates aggregated</figcaption>
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart data={data} margin={CHART_MARGIN}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            {RoundAxis()}
            <YAxis allowDecimals={false} width={AXIS.plainWidth} />
            <Tooltip labelFormatter={(round) => `round ${String(round)}`} />
            <Bar dataKey="participants" name="updates aggregated" fill="#2f7d32" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure className="chart" data-testid="bytes-chart">
        <figcaption>Bytes per round</figcaption>
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart data={data} margin={CHART_MARGIN}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            {RoundAxis()}
            <YAxis tickFormatter={(v: number) => formatBytes(v)} width={AXIS.bytesWidth} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? formatBytes(v) : String(v))} labelFormatter={(round) => `round ${String(round)}`} />
            <Legend />
            <Bar dataKey="bytesDown" name="down (model)" fill="#2e6da4" isAnimationActive={false} />
            <Bar dataKey="bytesUp" name="up (updates)" fill="#e59866" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <figure className="chart" data-testid="duration-chart">
        <figcaption>Round duration (seconds)</figcaption>
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <LineChart data={data} margin={CHART_MARGIN}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            {RoundAxis()}
            <YAxis width={AXIS.plainWidth} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? `${v.toFixed(1)} s` : String(v))} labelFormatter={(round) => `round ${String(round)}`} />
            <Line type="monotone" dataKey="seconds" name="duration" stroke="#6c3483" dot={lineDots(data.length)} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </figure>
    </div>
  );
}
