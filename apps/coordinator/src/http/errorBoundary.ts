import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { routeOf, type RouteEntry } from '../auth/routeTable.ts';
import type { CoordinatorMetrics } from '../metrics/coordinatorMetrics.ts';

export interface ErrorBoundaryDeps {
  logger: Logger;
  metrics: CoordinatorMetrics;
  /** The app's route table, read when an error arrives (the app is complete by then). */
  routes: () => readonly RouteEntry[];
}

interface Refusal {
  status: number;
  reason: string;
}

/** The shape of the errors body-parser and the router raise (http-errors): a client error carries `expose`. */
interface HttpError {
  status?: number;
  expose?: boolean;
  type?: string;
  limit?: number;
  body?: unknown;
  message?: string;
}

function sizeOf(bytes: number): string {
  const mib = 1024 * 1024;
  return bytes % mib === 0 ? `${bytes / mib} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

/** express.json (strict) refuses a top-level string, number or null with the same error as broken JSON. */
function isJsonText(body: unknown): boolean {
  if (typeof body !== 'string') return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
}

/** A request the caller got wrong, worded for them; null for a failure of ours. */
function clientRefusal(err: unknown): Refusal | null {
  if (err instanceof URIError) {
    const escape = /'(.*)'$/.exec(err.message)?.[1] ?? '';
    return { status: 400, reason: `the address has a broken percent-escape in "${escape}"; write a literal % as %25` };
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpError;
  switch (e.type) {
    case 'entity.parse.failed':
      return { status: 400, reason: isJsonText(e.body) ? 'the request body must be a JSON object' : 'the request body is not valid JSON' };
    case 'entity.too.large':
      return { status: 413, reason: `the request body is larger than ${sizeOf(e.limit ?? 0)}, the most this route takes` };
    case 'request.aborted':
      return { status: 400, reason: 'the request body ended before its announced length' };
    case 'request.size.invalid':
      return { status: 400, reason: 'the request body is not as long as its Content-Length header says' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status: 415, reason: `${e.message ?? 'unsupported body encoding'}; send the body as UTF-8 JSON` };
  }
  if (e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return { status: e.status, reason: e.message ?? 'bad request' };
  return null;
}

function doorOf(req: Request, routes: readonly RouteEntry[]): string {
  const path = req.originalUrl.split('?')[0] ?? '';
  const route = routeOf(routes, req.method, path);
  return `${req.method} ${route?.path ?? '(no route)'}`;
}

/**
 * The last handler of the app: every error any route or middleware raised (express 5 passes async
 * rejections here too) ends as `{ ok: false, reason }`. A caller's mistake gets its 4xx and a reason;
 * anything else is ours: 500, a warning in the log and `flock_handler_failures_total{door}`.
 */
export function errorBoundary(deps: ErrorBoundaryDeps): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const refusal = clientRefusal(err);
    if (refusal) {
      if (!res.headersSent) res.status(refusal.status).json({ ok: false, reason: refusal.reason });
      return;
    }
    const door = doorOf(req, deps.routes());
    deps.metrics.handlerFailed(door);
    deps.logger.warn({ err, door }, 'request failed');
    if (res.headersSent) return void res.destroy();
    res
      .status(500)
      .json({ ok: false, reason: `the coordinator failed while answering ${door}; the failure is in its log ("request failed"), please report it` });
  };
}
