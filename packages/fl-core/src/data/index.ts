export * from './random.ts';
export * from './mnistIdx.ts';
export * from './dataset.ts';
export * from './partition.ts';
