export * from './mnistFiles.ts';
