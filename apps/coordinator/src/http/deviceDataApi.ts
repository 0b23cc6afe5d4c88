import { summarizeEvaluations, type FederatedEvaluationReport } from '@flock/fl-core';
import express, { type Request, type Response } from 'express';
import { allow } from '../auth/guard.ts';
import type { FederationRuntime } from '../federations/federationRuntime.ts';

/**
 * Routes for device-provided data, mounted inside federationApi (which passes its lookup of the
 * federation named in the path): what a device must import, and what devices reported about the
 * global model (federated evaluation).
 */
export function deviceDataApi(federationOf: (req: Request, res: Response) => FederationRuntime | null): express.Router {
  const api = express.Router();

  // Device-facing: the page shows the import form (and validates) before the device joins.
  api.get('/federations/:id/dataset', allow('public'), (req, res) => {
    const runtime = federationOf(req, res);
    if (runtime) res.json({ id: runtime.config.id, name: runtime.config.name, model: runtime.config.model, dataset: runtime.config.dataset });
  });

  api.get('/federations/:id/evaluations', allow('viewer'), async (req, res) => {
    const runtime = federationOf(req, res);
    if (!runtime) return;
    const devices = await runtime.deviceEvaluations();
    const report: FederatedEvaluationReport = { devices, rounds: summarizeEvaluations(devices) };
    res.json(report);
  });

  return api;
}
