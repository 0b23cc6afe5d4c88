import type { z } from 'zod';
import { classNames } from '../config/datasetConfig.ts';
import { maxExamplesPerDeviceOf, type FederationConfig } from '../config/federation.ts';
import { issueText } from '../protocol/issueWords.ts';
import { AnalyticsQuery, type QueryOf } from './query.ts';

/** What a federation's devices hold, as far as a query needs to know: the labels' names and, for CSV data, its columns. */
export interface QueryContext {
  /** Class names in label order. */
  classes: readonly string[];
  /** CSV feature columns in the order a row holds them; null for images, which have none. */
  columns: readonly string[] | null;
  /** The CSV's label column; null for images. */
  labelColumn: string | null;
  /** The most examples one device may count (the federation's maxExamplesPerDevice). */
  maxExamplesPerDevice: number;
}

export function queryContextOf(config: Pick<FederationConfig, 'dataset' | 'maxExamplesPerDevice'>): QueryContext {
  const { dataset } = config;
  const csv = dataset.kind === 'device' && dataset.schema.type === 'csv' ? dataset.schema : null;
  return {
    classes: classNames(dataset),
    columns: csv?.features ?? null,
    labelColumn: csv?.label ?? null,
    maxExamplesPerDevice: maxExamplesPerDeviceOf(config),
  };
}

/** The most examples one device counts for this query: its privacy block's examplesPerDevice, within the federation's ceiling. */
export function examplesCap(query: AnalyticsQuery, context: QueryContext): number {
  return Math.min(query.privacy.examplesPerDevice ?? context.maxExamplesPerDevice, context.maxExamplesPerDevice);
}

export type ParsedQuery = { ok: true; query: AnalyticsQuery } | { ok: false; reason: string };

/** A query as sent (a REST body, a CLI's flags), checked against the schema and then against the federation's data. */
export function parseQuery(body: unknown, context: QueryContext): ParsedQuery {
  const parsed = AnalyticsQuery.safeParse(body);
  if (!parsed.success) return { ok: false, reason: queryIssues(parsed.error) };
  const problem = queryProblem(parsed.data, context);
  return problem ? { ok: false, reason: problem } : { ok: true, query: parsed.data };
}

function queryIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issueText(issue)}` : issueText(issue))).join(' ');
}

/** Why a well-formed query cannot run on this federation's data, or null when it can. */
export function queryProblem(query: AnalyticsQuery, context: QueryContext): string | null {
  switch (query.kind) {
    case 'label-histogram':
    case 'confusion-matrix':
      return null;
    case 'column-stats':
      return query.columns.map((c) => columnProblem(query.kind, c.name, context)).find((p) => p !== null) ?? null;
    case 'quantiles':
      return columnProblem(query.kind, query.column, context);
    case 'frequent-values':
      return frequentValuesProblem(query, context);
  }
}

function columnProblem(kind: string, column: string, context: QueryContext): string | null {
  if (context.columns === null) return `${kind} reads CSV columns, and this federation's devices hold images: ask for a label-histogram instead.`;
  if (context.columns.includes(column)) return null;
  const label = column === context.labelColumn ? ` "${column}" is the label column: ask for a label-histogram or frequent-values of it.` : '';
  return `The data has no numeric column "${column}" (its columns: ${context.columns.join(', ')}).${label}`;
}

/** Whether frequent-values counts the label (no column, or the CSV's label column) rather than a feature column. */
export function countsLabels(query: QueryOf<'frequent-values'>, context: QueryContext): boolean {
  return query.column === undefined || query.column === context.labelColumn;
}

function frequentValuesProblem(query: QueryOf<'frequent-values'>, context: QueryContext): string | null {
  if (countsLabels(query, context)) {
    const unknown = (query.values ?? []).filter((v) => typeof v !== 'string' || !context.classes.includes(v));
    if (unknown.length === 0) return null;
    return `${unknown.map((v) => JSON.stringify(v)).join(', ')} ${unknown.length === 1 ? 'is not a class' : 'are not classes'}: the labels are ${context.classes.join(', ')}.`;
  }
  const problem = columnProblem(query.kind, query.column!, context);
  if (problem) return problem;
  if (query.values === undefined || query.values.some((v) => typeof v !== 'number')) {
    return `Column "${query.column}" holds numbers: list the codes to count as numbers in values (e.g. [0, 1, 2]).`;
  }
  return null;
}
