import express from 'express';
import { allow } from '../auth/guard.ts';
import type { CoordinatorMetrics } from './coordinatorMetrics.ts';

/** `GET /metrics` in Prometheus text format; scrapers send a viewer (or admin) token as `Authorization: Bearer`. */
export function metricsRoute(metrics: CoordinatorMetrics): express.Router {
  const router = express.Router();
  router.get('/metrics', allow('viewer'), async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.text());
  });
  return router;
}
