import { FederationId, zodReason } from '@flock/fl-core';
import { parseQuery, QueryId, type AnalyticsQuery, type QueryContext } from '@flock/fl-core/analytics';
import express, { type Response } from 'express';
import { z } from 'zod';
import { allow } from '../auth/guard.ts';
import type { QueryRecord, Submitted } from './queryBook.ts';

/** What the query routes need from the coordinator (the QueryBook and the federations' runtimes behind it). */
export interface QueriesApiDeps {
  /** What the federation's devices hold, or undefined when no such federation runs here. */
  contextOf(federationId: string): QueryContext | undefined;
  /** Queues a checked query; the federation runs it when it can. */
  submit(federationId: string, query: AnalyticsQuery, context: QueryContext): Submitted;
  /** A query held in memory or, finished, in the store. */
  find(federationId: string, queryId: string): Promise<QueryRecord | undefined>;
  /** Newest first. */
  list(federationId: string): Promise<QueryRecord[]>;
  /** Resolves once the queries submitted so far are stored: a query's id is handed out only then, so no later query gets it. */
  stored(): Promise<void>;
}

const FederationParams = z.object({ id: FederationId });
const QueryParams = z.object({ id: FederationId, queryId: QueryId });

function refuse(res: Response, status: number, reason: string): void {
  res.status(status).json({ ok: false, reason });
}

/**
 * Federated analytics over REST: `POST /federations/:id/queries` (admin) queues a query and answers its record
 * (201, with its id); `GET /federations/:id/queries` (viewer) lists them, newest first, and
 * `GET /federations/:id/queries/:queryId` (viewer) answers one with its status and, once done, its result.
 */
export function queriesApi(deps: QueriesApiDeps): express.Router {
  const api = express.Router();
  api.use(express.json({ limit: '64kb' }));

  /** The federation named in the path and its context, or a 400/404 already sent. */
  function federationOf(params: unknown, res: Response): { id: string; context: QueryContext } | null {
    const parsed = FederationParams.safeParse(params);
    if (!parsed.success) {
      refuse(res, 400, `federation id: ${zodReason(parsed.error)}`);
      return null;
    }
    const context = deps.contextOf(parsed.data.id);
    if (!context) refuse(res, 404, `unknown federation "${parsed.data.id}"`);
    return context ? { id: parsed.data.id, context } : null;
  }

  api.post('/federations/:id/queries', allow('admin'), async (req, res) => {
    const federation = federationOf({ id: req.params.id }, res);
    if (!federation) return;
    const parsed = parseQuery(req.body ?? {}, federation.context);
    if (!parsed.ok) return refuse(res, 400, `query refused: ${parsed.reason}`);
    const submitted = deps.submit(federation.id, parsed.query, federation.context);
    if (!submitted.ok) return refuse(res, 409, submitted.reason);
    await deps.stored();
    res.status(201).json(submitted.record);
  });

  api.get('/federations/:id/queries', allow('viewer'), async (req, res) => {
    const federation = federationOf({ id: req.params.id }, res);
    if (federation) res.json(await deps.list(federation.id));
  });

  api.get('/federations/:id/queries/:queryId', allow('viewer'), async (req, res) => {
    const params = QueryParams.safeParse(req.params);
    if (!params.success) return refuse(res, 400, zodReason(params.error));
    const federation = federationOf({ id: params.data.id }, res);
    if (!federation) return;
    const record = await deps.find(federation.id, params.data.queryId);
    if (!record) {
      return refuse(res, 404, `federation ${federation.id} has no query ${params.data.queryId}: list its queries to see their ids`);
    }
    res.json(record);
  });

  return api;
}
