import { splitLocal, type ImageDataset } from '@flock/fl-core/data';
import { examplesDataset, type DeviceStore } from '../storage/deviceStore.ts';

/**
 * The examples a person imported for a federation, split into what the device trains on and what it
 * holds out to evaluate the global model on. Read afresh each round: an import or a delete between
 * rounds counts from the next one. The split is seeded by the device's data id, so the same examples
 * stay held out.
 */
export async function ownTrainingData(
  store: DeviceStore,
  federationId: string,
  shardId: string,
  testFraction: number,
): Promise<{ train: ImageDataset; test: ImageDataset | null }> {
  const stored = await store.ownExamples(federationId);
  if (!stored || stored.count === 0) throw new Error('this device holds no imported examples for the federation: import some first');
  return splitLocal(examplesDataset(stored), testFraction, shardId);
}
