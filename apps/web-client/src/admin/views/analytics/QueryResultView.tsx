import type { AnalyticsQuery, QueryResult } from '@flock/fl-core/analytics';
import { Bar, BarChart, CartesianGrid, ErrorBar, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { AXIS, CHART_MARGIN } from '../charts/chartStyle.ts';
import {
  boundOf,
  cellShare,
  classRecall,
  formatValue,
  labelBars,
  meanAndSd,
  noiseWords,
  percent,
  rangeWords,
  scoredModelWords,
  slotNames,
  sortedValues,
  statsColumns,
  withBound,
} from './resultShape.ts';

type ResultOf<K extends QueryResult['kind']> = Extract<QueryResult, { kind: K }>;

/** One finished query's result, drawn for its kind, with the noise it carries when it asked for differential privacy. */
export function QueryResultView({ query, result }: { query: AnalyticsQuery; result: QueryResult }) {
  return (
    <div className="query-result" data-testid="query-result" data-kind={result.kind}>
      {result.noise && (
        <p className="muted" data-testid="query-noise">
          {noiseWords(result.noise)}
        </p>
      )}
      {result.kind === 'label-histogram' && <LabelHistogram result={result} />}
      {result.kind === 'column-stats' && <ColumnStats query={query} result={result} />}
      {result.kind === 'quantiles' && <Quantiles query={query} result={result} />}
      {result.kind === 'confusion-matrix' && <ConfusionMatrix result={result} />}
      {result.kind === 'frequent-values' && <FrequentValues result={result} />}
    </div>
  );
}

function CountBars({ rows, bound, testId }: { rows: Array<{ label: string; count: number }>; bound: number | null; testId: string }) {
  const data = rows.map((r) => ({ ...r, bound: bound ?? 0 }));
  return (
    <div className="chart" data-testid={testId}>
      <ResponsiveContainer width="100%" height={220}>
        <BarChart data={data} margin={CHART_MARGIN}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
          <XAxis dataKey="label" height={AXIS.xHeight} interval={0} />
          <YAxis width={AXIS.plainWidth} allowDecimals={false} domain={[0, 'auto']} tickFormatter={(v: number) => formatValue(v)} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? withBound(formatValue(v), bound) : String(v))} />
          <Bar dataKey="count" name="examples" fill="#2f7d32" isAnimationActive={false}>
            {bound !== null && <ErrorBar dataKey="bound" width={4} stroke="#6c3483" />}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

function LabelHistogram({ result }: { result: ResultOf<'label-histogram'> }) {
  const total = result.counts.reduce((a, b) => a + b, 0);
  return (
    <>
      <p>
        {formatValue(total)} examples on {result.devices} devices, pooled.
      </p>
      <CountBars rows={labelBars(result)} bound={boundOf(result.noise, 'counts')} testId="label-histogram" />
    </>
  );
}

function ColumnStats({ query, result }: { query: AnalyticsQuery; result: ResultOf<'column-stats'> }) {
  const binBound = boundOf(result.noise, 'bins');
  return (
    <>
      <p>
        {withBound(`${formatValue(result.count)} examples`, boundOf(result.noise, 'count'))} counted on {result.devices} devices; values are clipped to each
        column's range.
      </p>
      <table className="table" data-testid="column-stats">
        <thead>
          <tr>
            <th>column</th>
            <th>mean ± sd</th>
            <th>min lies</th>
            <th>max lies</th>
            <th>values per bin{binBound !== null && ` (each ± ${formatValue(binBound)})`}</th>
          </tr>
        </thead>
        <tbody>
          {statsColumns(query, result).map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>{meanAndSd(c.mean, c.variance)}</td>
              <td>{rangeWords(c.min)}</td>
              <td>{rangeWords(c.max)}</td>
              <td>
                <BinStrip counts={c.bins} names={c.slots} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** A small inline histogram: one bar per slot, its height the slot's share of the largest, named on hover. */
function BinStrip({ counts, names }: { counts: readonly number[]; names: readonly string[] }) {
  const most = Math.max(1, ...counts);
  return (
    <span className="bin-strip" role="img" aria-label={counts.map((c, i) => `${names[i]}: ${formatValue(c)}`).join('; ')}>
      {counts.map((c, i) => (
        <span key={names[i]} title={`${names[i]}: ${formatValue(c)}`} style={{ height: `${Math.max(2, (c / most) * 100)}%` }} />
      ))}
    </span>
  );
}

function Quantiles({ query, result }: { query: AnalyticsQuery; result: ResultOf<'quantiles'> }) {
  const names = query.kind === 'quantiles' ? slotNames(query.edges) : result.bins.map((_, i) => `bin ${i}`);
  const bound = boundOf(result.noise, 'bins');
  return (
    <>
      <p>
        {formatValue(result.count)} values of {result.column} on {result.devices} devices; each quantile is exact to the width of its bin.
      </p>
      <table className="table" data-testid="quantiles">
        <thead>
          <tr>
            <th>quantile</th>
            <th>value</th>
          </tr>
        </thead>
        <tbody>
          {result.quantiles.map((q) => (
            <tr key={q.q}>
              <td>{q.q}</td>
              <td>{q.where === 'within' ? formatValue(q.value) : `${q.where} ${formatValue(q.value)} (beyond the bin edges: widen them to place it)`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <CountBars rows={result.bins.map((count, i) => ({ label: names[i] ?? '', count }))} bound={bound} testId="quantile-bins" />
    </>
  );
}

function ConfusionMatrix({ result }: { result: ResultOf<'confusion-matrix'> }) {
  const bound = boundOf(result.noise, 'counts');
  const recall = classRecall(result.matrix);
  return (
    <>
      <p>
        Accuracy {result.accuracy === null ? '— (no examples were counted)' : percent(result.accuracy)} on {result.devices} devices' examples. Rows are the true
        labels, columns the predicted ones; shade is the share of its row, and recall the share of a true label the model got right
        {bound !== null && ` (each count ± ${formatValue(bound)})`}. <span data-testid="scored-model">{scoredModelWords(result.modelRound)}</span>
      </p>
      <div className="table-wrap">
        <table className="table heat" data-testid="confusion-matrix">
          <thead>
            <tr>
              <th>true \ predicted</th>
              {result.classes.map((c) => (
                <th key={c}>{c}</th>
              ))}
              <th>recall</th>
            </tr>
          </thead>
          <tbody>
            {result.matrix.map((row, t) => (
              <tr key={result.classes[t]}>
                <th>{result.classes[t]}</th>
                {row.map((count, p) => (
                  <td key={result.classes[p]} style={{ backgroundColor: `rgba(47, 125, 50, ${cellShare(row, p).toFixed(3)})` }}>
                    {formatValue(count)}
                  </td>
                ))}
                <td data-testid="class-recall">{percent(recall[t] ?? null)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function FrequentValues({ result }: { result: ResultOf<'frequent-values'> }) {
  const values = sortedValues(result.values);
  return (
    <>
      <p>
        Values of {result.column} held by fewer than {result.k} devices are not shown{result.noise ? ' (by their noised device counts)' : ''}.
        {values.length === 0 &&
          ` No value is held by ${result.k} or more of the ${result.devices} devices that answered: ask again with a lower k or when more devices are online.`}
      </p>
      {values.length > 0 && (
        <CountBars
          rows={values.map((v) => ({ label: `${v.value} (${v.devices} devices)`, count: v.count }))}
          bound={boundOf(result.noise, 'counts')}
          testId="frequent-values"
        />
      )}
    </>
  );
}
