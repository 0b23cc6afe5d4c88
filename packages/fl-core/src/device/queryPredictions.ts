import { confusionMatrixAnswer } from '../analytics/deviceAnswer.ts';
import type { QueryAskMessage, QueryModel } from '../analytics/messages.ts';
import type { QueryOf } from '../analytics/query.ts';
import type { ImageDataset } from '../data/dataset.ts';
import { contentHash } from '../protocol/chunkedDownloadMessages.ts';
import type { DeviceTrainer } from './deviceAdapters.ts';
import { ModelDownloader } from './chunkedDownload.ts';
import type { DeviceSocket } from './deviceSocket.ts';

/**
 * The global models a confusion-matrix query names: the bytes this device last received whole (round:start without a
 * base, model:final) serve when their hash is the one asked for; any other model is pulled with model:chunk, as a
 * large round:start model is.
 */
export class QueryModels {
  private held: { weights: Uint8Array; hash: string | null } | null = null;
  private downloader: { socket: DeviceSocket; pull: ModelDownloader } | null = null;

  /** Keeps the last whole model received; hashed only when a query asks for one. */
  hold(weights: Uint8Array): void {
    this.held = { weights, hash: null };
  }

  async weights(socket: DeviceSocket, federationId: string, model: QueryModel): Promise<Uint8Array> {
    const held = this.held;
    if (held && held.weights.byteLength === model.download.totalBytes) {
      held.hash ??= contentHash(held.weights);
      if (held.hash === model.download.hash) return held.weights;
    }
    if (this.downloader?.socket !== socket) this.downloader = { socket, pull: new ModelDownloader(socket) };
    const result = await this.downloader.pull.pull(federationId, model.round, model.download);
    if (result.outcome !== 'complete') throw new Error(`the global model of round ${model.round} could not be downloaded (${result.reason})`);
    this.hold(result.weights);
    return result.weights;
  }
}

/** This device's confusion counts for `msg`: the model it names, its predictions on the counted examples (by the trainer), counted against their labels. */
export async function predictedConfusionAnswer(
  models: QueryModels,
  trainer: DeviceTrainer,
  socket: DeviceSocket,
  federationId: string,
  msg: QueryAskMessage & { query: QueryOf<'confusion-matrix'> },
  examples: ImageDataset,
): Promise<Float64Array> {
  const predict = trainer.predict?.bind(trainer);
  if (!predict) throw new Error("this kind of device does not compute a model's predictions");
  const { model } = msg;
  if (!model) throw new Error('the coordinator did not say which model to score: update the coordinator');
  const weights = await models.weights(socket, federationId, model);
  return confusionMatrixAnswer(msg.query, msg.context, examples, (counted) => predict({ model: model.model, weights, examples: counted }));
}
