import { dataShapeOf, decodeDataset, subset, type ImageDataset } from '@flock/fl-core/data';
import type { DatasetConfig } from '@flock/fl-core/config';
import { examplesDataset, type DeviceStore } from '../storage/deviceStore.ts';
import type { LocalExample } from '../tryModel/TryModel.tsx';

/** One example this device holds for the federation (its own, or from its shard), drawn at random. */
export async function pickLocalExample(store: DeviceStore, federationId: string, dataset: DatasetConfig | null): Promise<LocalExample | null> {
  const data = await heldData(store, federationId, dataset);
  if (!data || data.count === 0) return null;
  const index = Math.floor(Math.random() * data.count);
  const one = subset(data, [index]);
  return {
    input: { values: one.features ?? Float32Array.from(one.pixels, (p) => p / 255), shape: dataShapeOf(one).inputShape },
    label: one.labels[0]!,
    description: `example ${index + 1} of the ${data.count} this device holds`,
  };
}

/** Every example this device holds for the federation: its imported ones (when they match the dataset's schema), else its shard. */
export async function heldData(store: DeviceStore, federationId: string, dataset: DatasetConfig | null): Promise<ImageDataset | null> {
  if (dataset?.kind === 'device') {
    const own = await store.ownExamples(federationId);
    return own?.schema === JSON.stringify(dataset.schema) ? examplesDataset(own) : null;
  }
  const shard = await store.federationShard(federationId);
  return shard ? decodeDataset(new Uint8Array(shard.bytes)) : null;
}
