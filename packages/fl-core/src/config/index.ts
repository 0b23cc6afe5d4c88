// The federation config: what a federation is set up to do, free of tfjs (the dashboard's form imports it).
export * from './federation.ts';
export * from './datasetConfig.ts';
export * from './modelFit.ts';
export * from './federationConfigProblem.ts';
export * from './secureAggregation.ts';
