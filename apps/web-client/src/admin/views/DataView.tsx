import { queryContextOf } from '@flock/fl-core/analytics';
import { useMemo } from 'react';
import { formatTime } from '../../format.ts';
import type { QueryRecord } from '../api/queriesApi.ts';
import { useCanOperate } from '../api/session.ts';
import type { ViewProps } from './ConsoleViews.tsx';
import { QueryForm } from './analytics/QueryForm.tsx';
import { QueryResultView } from './analytics/QueryResultView.tsx';
import { labelSkewWords, privacyWords, queryTitle, statusWords, whatLeavesLead } from './analytics/resultShape.ts';
import { useQueries } from './analytics/useQueries.ts';
import './analytics/analytics.css';

/**
 * Federated analytics: ask the federation's devices a query (label histogram, column statistics, quantiles, confusion
 * matrix, frequent values) and see the pooled results, with what left each device and the noise they carry.
 */
export function DataView({ token, federationId, snapshot, changes }: ViewProps) {
  const canOperate = useCanOperate();
  const config = snapshot?.federation.config ?? null;
  const context = useMemo(() => (config ? queryContextOf(config) : null), [config]);
  const queries = useQueries(token, federationId, changes);

  return (
    <>
      <section className="card" data-testid="data-view">
        <h2>Ask the devices</h2>
        {!context && <p className="muted">Loading the federation…</p>}
        {context && canOperate && <QueryForm token={token} federationId={federationId} context={context} onAsked={queries.refresh} />}
        {context && !canOperate && (
          <p className="muted">Only an administrator can ask queries; this session is read-only. The queries asked so far and their results are below.</p>
        )}
        {config && (
          <p className="muted" data-testid="label-skew">
            {labelSkewWords(config.dataset)}
          </p>
        )}
      </section>
      <section className="card">
        <h2>Queries</h2>
        {queries.problem && <p className="error">{queries.problem}</p>}
        {queries.records.length === 0 && !queries.problem && (
          <p className="muted" data-testid="no-queries">
            No query has been asked yet{canOperate ? ': ask one above.' : '.'} Queries are kept in the coordinator's memory, so a restart forgets them.
          </p>
        )}
        <ul className="query-list" data-testid="query-list">
          {queries.records.map((record) => (
            <QueryItem key={record.id} record={record} />
          ))}
        </ul>
      </section>
    </>
  );
}

function QueryItem({ record }: { record: QueryRecord }) {
  return (
    <li data-testid="query-item" data-status={record.status}>
      <h3>
        {queryTitle(record.query)} <span className="muted">— asked {formatTime(record.submittedAt)}</span>
      </h3>
      <p className={record.status === 'refused' ? 'error' : undefined} data-testid="query-status">
        {statusWords(record)}
      </p>
      <p className="muted">
        Privacy: {privacyWords(record.query)}. {whatLeavesLead(record)}: {record.whatLeaves}
      </p>
      {record.status === 'done' && record.result && <QueryResultView query={record.query} result={record.result} />}
    </li>
  );
}
