export * from './protocol/index.ts';
export * from './codec/weightsCodec.ts';
export * from './aggregation/fedAvg.ts';
export * from './models/zoo.ts';
export * from './data/index.ts';
export * from './training/tensors.ts';
export * from './training/evaluate.ts';
export * from './training/trainLocal.ts';
