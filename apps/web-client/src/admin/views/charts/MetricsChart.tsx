import type { RoundSeriesPoint } from '@flock/fl-core/protocol';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { AXIS, CHART_MARGIN, lineDots } from './chartStyle.ts';

/** Global and training accuracy (left axis) and loss (right axis) per round, from `/round-series`. */
export function MetricsChart({ points, height = 260 }: { points: RoundSeriesPoint[]; height?: number }) {
  const dot = lineDots(points.length);
  const line = { type: 'monotone' as const, dot, isAnimationActive: false, connectNulls: true };
  return (
    <div className="chart" data-testid="metrics-chart">
      {points.length === 0 ? (
        <p className="muted">The chart fills in as rounds complete.</p>
      ) : (
        <ResponsiveContainer width="100%" height={height}>
          <LineChart data={points} margin={CHART_MARGIN}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            <XAxis
              dataKey="round"
              type="number"
              domain={['dataMin', 'dataMax']}
              allowDecimals={false}
              height={AXIS.xHeight}
              label={{ value: 'round', position: 'insideBottom', offset: 0 }}
            />
            <YAxis yAxisId="accuracy" domain={[0, 1]} width={AXIS.percentWidth} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} />
            <YAxis yAxisId="loss" orientation="right" domain={[0, 'auto']} width={AXIS.plainWidth} tickFormatter={(v: number) => v.toFixed(2)} />
            <Tooltip
              formatter={(value) => (typeof value === 'number' ? value.toFixed(4) : String(value))}
              labelFormatter={(round) => `round ${String(round)}`}
            />
            <Legend />
            <Line yAxisId="accuracy" {...line} dataKey="accuracy" name="global accuracy" stroke="#2f7d32" />
            <Line yAxisId="accuracy" {...line} dataKey="trainingAccuracy" name="devices' training accuracy" stroke="#7fb77e" strokeDasharray="4 3" />
            <Line yAxisId="loss" {...line} dataKey="loss" name="global loss" stroke="#c0392b" />
            <Line yAxisId="loss" {...line} dataKey="trainingLoss" name="devices' training loss" stroke="#e59866" strokeDasharray="4 3" />
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
