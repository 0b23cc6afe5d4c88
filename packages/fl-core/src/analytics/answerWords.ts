import { answerLayout } from './answerLayout.ts';
import type { AnalyticsQuery } from './query.ts';
import { countsLabels, examplesCap, type QueryContext } from './queryContext.ts';

function list(items: readonly (string | number)[]): string {
  const shown = items.slice(0, 12).map(String);
  return items.length > shown.length ? `${shown.join(', ')} and ${items.length - shown.length} more` : shown.join(', ');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * Exactly what a device sends for `query`, for the person whose device it is: how many numbers and what each
 * counts ("10 numbers: how many of your examples carry each label (0, 1, ...)"). Nothing else about the examples leaves.
 */
export function describeAnswer(query: AnalyticsQuery, context: QueryContext): string {
  const numbers = plural(answerLayout(query, context).length, 'number');
  const cap = examplesCap(query, context);
  const sample =
    query.privacy.examplesPerDevice === undefined
      ? ''
      : ` If you hold more than ${plural(cap, 'example')}, a random ${cap.toLocaleString('en-US')} of them are counted.`;
  const noise =
    query.privacy.epsilon === undefined
      ? ''
      : ` The coordinator adds noise to the sum of all devices' numbers (ε = ${query.privacy.epsilon}) before anyone sees it.`;
  const floor = ` Nothing is reported unless at least ${query.privacy.minDevices} devices answer.`;
  return `${numbers}: ${what(query, context)}.${sample}${floor}${noise}`;
}

function what(query: AnalyticsQuery, context: QueryContext): string {
  switch (query.kind) {
    case 'label-histogram':
      return `how many of your examples carry each label (${list(context.classes)})`;
    case 'confusion-matrix':
      return `for each true label and each label the model predicts, how many of your examples the global model put there (${context.classes.length} x ${context.classes.length})`;
    case 'quantiles':
      return `how many of your values in column ${query.column} fall below ${query.edges[0]}, in each of the ${query.edges.length - 1} ranges between ${list(query.edges)}, and above ${query.edges.at(-1)}`;
    case 'frequent-values': {
      const values = query.values ?? context.classes;
      const column = countsLabels(query, context) ? 'label' : `column ${query.column}`;
      return `how many of your examples have each ${column} value ${list(values)}, and for each whether you hold it at all (1 or 0)`;
    }
    case 'column-stats': {
      const columns = query.columns.map((c) => `${c.name} (${c.bins} ranges from ${c.low} to ${c.high})`);
      return `how many examples you hold; for each of the columns ${list(columns)}, the sum and the sum of squares of your values (kept within the range) and how many of them fall below it, in each range and above it`;
    }
  }
}
