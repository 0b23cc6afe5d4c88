import type { ZooModelName } from '../protocol/modelNames.ts';
import type { DataShape } from './datasetConfig.ts';

/** The smallest image side each zoo architecture can take: its convolutions and pools shrink it (models/zoo.ts builds them). */
const MIN_IMAGE_SIDE: Record<ZooModelName, number> = {
  'mnist-mlp': 1,
  'mnist-cnn': 4,
  'mnist-cnn-small': 10,
  'tabular-mlp': 1,
};

/** Why zoo model `name` cannot take data of `shape`, or null when it can. */
export function modelProblem(name: ZooModelName, { inputShape: [height, width] }: DataShape): string | null {
  const minSide = MIN_IMAGE_SIDE[name];
  if (Math.min(height, width) >= minSide) return null;
  return `model ${name} needs images of at least ${minSide}x${minSide}, the dataset gives ${height}x${width} (use tabular-mlp or mnist-mlp for CSV rows)`;
}
