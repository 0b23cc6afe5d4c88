import { subset, type ImageDataset } from './dataset.ts';
import { createRng, seedFromText, shuffleInPlace } from './random.ts';

/**
 * A device's own examples split once into training and held-out test examples: a seeded shuffle,
 * so the same examples stay held out round after round. With any test fraction, a device with two
 * or more examples holds out at least one and trains on at least one.
 */
export function splitLocal(data: ImageDataset, testFraction: number, seed: string): { train: ImageDataset; test: ImageDataset | null } {
  const testCount = heldOutCount(data.count, testFraction);
  const order = Array.from({ length: data.count }, (_, i) => i);
  shuffleInPlace(order, createRng(seedFromText(seed)));
  return {
    train: subset(data, order.slice(testCount)),
    test: testCount > 0 ? subset(data, order.slice(0, testCount)) : null,
  };
}

/** How many of `count` examples splitLocal holds out. */
export function heldOutCount(count: number, testFraction: number): number {
  if (testFraction <= 0 || count < 2) return 0;
  return Math.min(count - 1, Math.max(1, Math.round(count * testFraction)));
}

/** Two imports of the same schema as one dataset (the stored examples, then the new ones). */
export function concatDatasets(a: ImageDataset, b: ImageDataset): ImageDataset {
  const join = <T extends Uint8Array | Float32Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x, 0);
    out.set(y, x.length);
    return out;
  };
  return {
    ...a,
    count: a.count + b.count,
    labels: join(a.labels, b.labels, (n) => new Uint8Array(n)),
    pixels: join(a.pixels, b.pixels, (n) => new Uint8Array(n)),
    ...(a.features && b.features ? { features: join(a.features, b.features, (n) => new Float32Array(n)) } : {}),
  };
}
