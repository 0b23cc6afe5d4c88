export * from './mnistFiles.ts';
export * from './nodeBackend.ts';
export * from './localData.ts';
export * from './siloData.ts';
export * from './nodeTrainer.ts';
export * from './nodeDevice.ts';
export * from './eventLoopStall.ts';
export * from './fetchWithin.ts';
