import { randomUUID } from 'node:crypto';
import { DatasetConfig, datasetShape, loadUploadedModel, modelShapeProblem, saveInMemory, zodReason } from '@flock/fl-core';
import express, { type Response } from 'express';
import { z } from 'zod';
import { allow } from '../auth/guard.ts';
import type { UploadedModelRepository } from '../storage/store.ts';

/** Uploads carry the weights as base64 inside JSON: far above the API's usual 64 KiB. */
const MAX_UPLOAD = '64mb';

const WeightsManifest = z.array(
  z.object({
    paths: z.array(z.string().min(1).max(500)).min(1),
    weights: z.array(z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.string() }).passthrough()),
  }),
);

/** model.json as tfjs writes it, the weight files by the paths it names, and the dataset it must fit. */
const ModelUpload = z
  .object({
    name: z.string().trim().min(1).max(200),
    dataset: DatasetConfig,
    modelJson: z.object({ modelTopology: z.record(z.string(), z.unknown()), weightsManifest: WeightsManifest }).passthrough(),
    weights: z.record(z.string(), z.base64()),
  })
  .strict();

const ModelParams = z.object({ id: z.string().regex(/^uploaded-[0-9a-f]{12}$/, 'an uploaded model id looks like uploaded-0123456789ab') });

function refuse(res: Response, status: number, reason: string): void {
  res.status(status).json({ ok: false, reason });
}

/**
 * `/api/models`: operators upload a tfjs LayersModel (model.json + weight files), checked against
 * the dataset it is meant for (input and output shapes named when they do not fit); anyone can load
 * a stored one with tf.loadLayersModel('<origin>/api/models/<id>/model.json').
 */
export function modelsApi(store: UploadedModelRepository): express.Router {
  const api = express.Router();

  api.post('/models', allow('admin'), express.json({ limit: MAX_UPLOAD }), async (req, res) => {
    const upload = ModelUpload.safeParse(req.body);
    if (!upload.success) return refuse(res, 400, `model upload: ${zodReason(upload.error)}`);
    const { name, dataset, modelJson, weights } = upload.data;
    const files = new Map(Object.entries(weights).map(([path, b64]) => [path, new Uint8Array(Buffer.from(b64, 'base64'))]));
    const loaded = await loadUploadedModel({ modelJson, weightFiles: files });
    if (!loaded.ok) return refuse(res, 400, `model upload: ${loaded.reason}`);
    const shape = datasetShape(dataset);
    try {
      const problem = modelShapeProblem(loaded.model, shape);
      if (problem) return refuse(res, 400, `model upload: ${problem}`);
      const info = await store.save({
        id: `uploaded-${randomUUID().replaceAll('-', '').slice(0, 12)}`,
        name,
        inputShape: [...shape.inputShape],
        numClasses: shape.numClasses,
        parameters: loaded.model.countParams(),
        ...(await saveInMemory(loaded.model)),
      });
      res.status(201).json(info);
    } finally {
      loaded.model.dispose();
    }
  });

  api.get('/models', allow('viewer'), async (_req, res) => {
    res.json(await store.list());
  });

  api.get('/models/:id/model.json', allow('public'), async (req, res) => {
    const params = ModelParams.safeParse(req.params);
    if (!params.success) return refuse(res, 400, `model id: ${zodReason(params.error)}`);
    const model = await store.get(params.data.id);
    if (!model) return refuse(res, 404, `no uploaded model "${params.data.id}"`);
    res.json(model.modelJson);
  });

  api.get('/models/:id/weights.bin', allow('public'), async (req, res) => {
    const params = ModelParams.safeParse(req.params);
    if (!params.success) return refuse(res, 400, `model id: ${zodReason(params.error)}`);
    const model = await store.get(params.data.id);
    if (!model) return refuse(res, 404, `no uploaded model "${params.data.id}"`);
    res.type('application/octet-stream').send(Buffer.from(model.weights.buffer, model.weights.byteOffset, model.weights.byteLength));
  });

  return api;
}
