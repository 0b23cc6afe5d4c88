import { DatasetConfig } from '@flock/fl-core/config';
import { z } from 'zod';
import { adminCall, type ApiResult } from './adminApi.ts';

/** One row of `GET /api/models`. */
export const UploadedModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  inputShape: z.array(z.number()),
  numClasses: z.number(),
  parameters: z.number(),
});
export type UploadedModelInfo = z.infer<typeof UploadedModelInfo>;

export function listUploadedModels(token: string): Promise<ApiResult<UploadedModelInfo[]>> {
  return adminCall(token, 'GET', '/api/models', UploadedModelInfo.array());
}

function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    // A data: URL is "data:<type>;base64,<payload>".
    reader.onload = () => resolve(String(reader.result).replace(/^[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/**
 * `POST /api/models` with the files a person picked (model.json and the weight files it names, as
 * tfjs's model.save or tensorflowjs_converter writes them), checked by the coordinator against `dataset`.
 */
export async function uploadModel(token: string, files: readonly File[], dataset: unknown): Promise<ApiResult<UploadedModelInfo>> {
  const modelFile = files.find((f) => f.name.endsWith('.json'));
  if (!modelFile) return { ok: false, status: 0, reason: 'pick model.json together with its weight files' };
  const parsedDataset = DatasetConfig.safeParse(dataset);
  if (!parsedDataset.success) return { ok: false, status: 0, reason: 'complete the dataset first: the model is checked against it' };
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(await modelFile.text());
  } catch {
    return { ok: false, status: 0, reason: `${modelFile.name} is not JSON` };
  }
  const weights = Object.fromEntries(await Promise.all(files.filter((f) => f !== modelFile).map(async (f) => [f.name, await base64Of(f)] as const)));
  const name = modelFile.name === 'model.json' ? 'uploaded model' : modelFile.name.replace(/\.json$/, '');
  return adminCall(token, 'POST', '/api/models', UploadedModelInfo, { name, dataset: parsedDataset.data, modelJson, weights });
}
