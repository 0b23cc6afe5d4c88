import type { UploadedModelId } from '../protocol/device.ts';
import type { TopologyLoader } from './modelCache.ts';

/** Reads uploaded models' topologies from a coordinator's public model route (`<origin>/api/models/<id>/model.json`). */
export function uploadedTopologyFrom(origin: string, fetchFn: typeof fetch = fetch): TopologyLoader {
  return async (model: UploadedModelId) => {
    const response = await fetchFn(`${origin.replace(/\/$/, '')}/api/models/${encodeURIComponent(model)}/model.json`);
    if (!response.ok) throw new Error(`cannot fetch uploaded model ${model}: HTTP ${response.status}`);
    return ((await response.json()) as { modelTopology?: unknown }).modelTopology;
  };
}

/** A trainer given no loader refuses uploaded models with the reason rather than guessing a coordinator. */
export const noTopology: TopologyLoader = async (model) => {
  throw new Error(`this trainer has no coordinator to fetch uploaded model ${model} from`);
};
