import type { FederationSummary, RoundSeriesPoint } from '@flock/fl-core/protocol';
import { secureAggregationSentence, type FederationConfig } from '@flock/fl-core/config';
import { privacyGuarantee } from '@flock/fl-core/strategy';
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { AXIS, CHART_MARGIN, lineDots } from './chartStyle.ts';

const MODE_WORDS: Record<NonNullable<FederationConfig['privacy']>['mode'], string> = {
  central: 'central (the coordinator adds the noise)',
  local: 'local (each device adds the noise)',
  distributed: 'distributed (each device adds a share of it, and secure aggregation sums them)',
};

type PrivacySpend = NonNullable<FederationSummary['privacySpend']>;

/**
 * The federation's differential privacy: its settings, the epsilon spent after every round (a chart, whatever the number of
 * rounds) and, beside training's, what its analytics queries spent (`spend`, from the federation's summary).
 */
export function PrivacyBudget({ config, points, spend }: { config: FederationConfig | null; points: RoundSeriesPoint[]; spend: PrivacySpend | null }) {
  const privacy = config?.privacy;
  if (!config) return <p className="muted">Loading the federation…</p>;
  const secure = secureAggregationSentence(config);
  const secureNote = secure && <p data-testid="secure-aggregation">{secure}</p>;
  if (!privacy) {
    return (
      <section className="card" data-testid="privacy-budget">
        <h2>Differential privacy</h2>
        {secureNote}
        <p data-testid="privacy-off">
          This federation trains without differential privacy: updates are not clipped or noised. To use it, create a federation (or a clone) with privacy
          turned on.
        </p>
        {spend && spend.queries > 0 && <p data-testid="privacy-spend">{spend.words}</p>}
      </section>
    );
  }
  const spent = points.filter((p) => p.epsilon !== null);
  const latest = spent.at(-1)?.epsilon ?? null;
  const target = privacy.targetEpsilon;
  return (
    <section className="card" data-testid="privacy-budget">
      <h2>Differential privacy</h2>
      {secureNote}
      <p>{privacyGuarantee(privacy, latest)}</p>
      {spend && <p data-testid="privacy-spend">{spend.words}</p>}
      <dl className="facts">
        <dt>mode</dt>
        <dd>{MODE_WORDS[privacy.mode]}</dd>
        <dt>clip norm C, noise z</dt>
        <dd>
          {privacy.clipNorm}, {privacy.noiseMultiplier} (noise std {privacy.clipNorm * privacy.noiseMultiplier})
        </dd>
        <dt>δ</dt>
        <dd>{privacy.delta}</dd>
        <dt>target ε</dt>
        <dd>{target === undefined ? 'none' : `${target} (then ${privacy.onTarget === 'stop' ? 'stop' : 'warn'})`}</dd>
        <dt>ε spent so far</dt>
        <dd data-testid="epsilon-spent">{latest === null ? 'nothing yet (no round has completed)' : latest.toFixed(3)}</dd>
      </dl>
      {spent.length > 0 && (
        <div className="chart" data-testid="epsilon-chart">
          <ResponsiveContainer width="100%" height={220}>
            <LineChart data={spent} margin={CHART_MARGIN}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
              <XAxis dataKey="round" allowDecimals={false} height={AXIS.xHeight} label={{ value: 'round', position: 'insideBottom', offset: 0 }} />
              <YAxis width={AXIS.plainWidth} domain={[0, 'auto']} tickFormatter={(v: number) => v.toFixed(1)} />
              <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(3) : String(v))} labelFormatter={(round) => `after round ${String(round)}`} />
              {target !== undefined && (
                <ReferenceLine y={target} stroke="#c0392b" strokeDasharray="4 3" label={{ value: 'target', position: 'insideTopRight' }} />
              )}
              <Line type="monotone" dataKey="epsilon" name="ε spent" stroke="#6c3483" dot={lineDots(spent.length)} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
}
