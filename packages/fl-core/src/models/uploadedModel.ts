import * as tf from '@tensorflow/tfjs';
import type { DataShape } from '../config/datasetConfig.ts';

/** A tfjs LayersModel as `model.save()` writes it: model.json's topology and weights manifest, and the weight files' bytes. */
export interface UploadedModelFiles {
  /** model.json, parsed. */
  modelJson: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: UploadedWeightSpec[] }[] };
  /** Each weight file named in the manifest, by its path. */
  weightFiles: ReadonlyMap<string, Uint8Array>;
}

/** One tensor of the weights manifest; tfjs checks the dtype when it builds the model. */
export interface UploadedWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export type UploadedModelResult = { ok: true; model: tf.LayersModel } | { ok: false; reason: string };

/** The weight files concatenated in the manifest's order, as tfjs expects one buffer. */
function weightData(files: UploadedModelFiles): ArrayBuffer | string {
  const groups = files.modelJson.weightsManifest ?? [];
  const parts: Uint8Array[] = [];
  for (const path of groups.flatMap((g) => g.paths)) {
    const file = files.weightFiles.get(path);
    if (!file) return `model.json names the weight file "${path}", which was not uploaded (uploaded: ${[...files.weightFiles.keys()].join(', ') || 'none'})`;
    parts.push(file);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out.buffer;
}

/** A model as `model.save()` writes it, captured in memory: model.json (its manifest naming one file, `weights.bin`) and that file. */
export async function saveInMemory(model: tf.LayersModel): Promise<{ modelJson: Record<string, unknown>; weights: Uint8Array }> {
  let out: { modelJson: Record<string, unknown>; weights: Uint8Array } | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      out = {
        modelJson: {
          format: 'layers-model',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        },
        weights: new Uint8Array(data instanceof ArrayBuffer ? data : await new Blob(data as ArrayBuffer[]).arrayBuffer()),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return out!;
}

/** Builds the uploaded model in memory (tf.io.fromMemory): no file system, no network. */
export async function loadUploadedModel(files: UploadedModelFiles): Promise<UploadedModelResult> {
  if (typeof files.modelJson.modelTopology !== 'object' || files.modelJson.modelTopology === null) {
    return { ok: false, reason: 'model.json has no modelTopology: save the model with tfjs (model.save) or tensorflowjs_converter as a LayersModel' };
  }
  const data = weightData(files);
  if (typeof data === 'string') return { ok: false, reason: data };
  try {
    const model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: files.modelJson.modelTopology as tf.io.ModelJSON['modelTopology'],
        weightSpecs: (files.modelJson.weightsManifest ?? []).flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
        weightData: data,
      }),
    );
    return { ok: true, model };
  } catch (err) {
    return { ok: false, reason: `tfjs cannot build the model: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * A LayersModel from its topology alone (tf.io.fromMemory without weights): its layers'
 * initializers fill the weights, which the caller overwrites with the federation's.
 */
export async function modelFromTopology(modelTopology: unknown): Promise<tf.LayersModel> {
  if (typeof modelTopology !== 'object' || modelTopology === null) throw new Error('the federation serves no model topology');
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelTopology as tf.io.ModelJSON['modelTopology'] }));
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? 'batch' : String(d))).join(', ')}]`;
}

/**
 * Why the model cannot train on the dataset: it must take one batch of examples of the dataset's
 * shape (height x width x channels) and give one logit per class. Null when it fits.
 */
export function modelShapeProblem(model: tf.LayersModel, { inputShape, numClasses }: DataShape): string | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    return `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; Flock trains models with one input and one output`;
  }
  const input = model.inputs[0]!.shape;
  const output = model.outputs[0]!.shape;
  const wantInput = [null, ...inputShape];
  const inputOk = input.length === wantInput.length && input.every((d, i) => i === 0 || d === wantInput[i]);
  const outputOk = output.length === 2 && output[1] === numClasses;
  if (inputOk && outputOk) return null;
  return `the model takes ${shapeText(input)} and gives ${shapeText(output)}; the dataset needs it to take ${shapeText(wantInput)} (${inputShape.join('x')} examples) and give [batch, ${numClasses}] (${numClasses} classes)`;
}
