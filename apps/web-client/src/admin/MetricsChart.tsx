import type { RoundRecord } from '@flock/fl-core/protocol';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

/** Global accuracy (left axis) and loss (right axis) per completed round. */
export function MetricsChart({ rounds }: { rounds: RoundRecord[] }) {
  const data = [...rounds]
    .sort((a, b) => a.round - b.round)
    .map((r) => ({ round: r.round, accuracy: r.accuracy, loss: r.loss, trainLoss: r.trainLoss }));
  return (
    <div className="chart" data-testid="metrics-chart">
      {data.length === 0 ? (
        <p className="muted">The chart fills in as rounds complete.</p>
      ) : (
        <ResponsiveContainer width="100%" height={280}>
          <LineChart data={data} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
            <XAxis dataKey="round" allowDecimals={false} label={{ value: 'round', position: 'insideBottomRight', offset: -4 }} />
            <YAxis yAxisId="accuracy" domain={[0, 1]} tickFormatter={(v: number) => `${Math.round(v * 100)}%`} />
            <YAxis yAxisId="loss" orientation="right" domain={[0, 'auto']} />
            <Tooltip formatter={(value) => (typeof value === 'number' ? value.toFixed(4) : String(value))} />
            <Legend />
            <Line yAxisId="accuracy" type="monotone" dataKey="accuracy" name="global accuracy" stroke="#2f7d32" dot={false} isAnimationActive={false} connectNulls />
            <Line yAxisId="loss" type="monotone" dataKey="loss" name="global loss" stroke="#c0392b" dot={false} isAnimationActive={false} connectNulls />
            <Line yAxisId="loss" type="monotone" dataKey="trainLoss" name="mean local loss" stroke="#e59866" strokeDasharray="4 3" dot={false} isAnimationActive={false} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
