export * from './random.ts';
export * from './mnistIdx.ts';
export * from './dataset.ts';
export * from './partition.ts';
export * from './csvExamples.ts';
export * from './imageExamples.ts';
export * from './localSplit.ts';
