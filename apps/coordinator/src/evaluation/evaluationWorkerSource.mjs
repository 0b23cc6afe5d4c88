// Runs evaluationWorker.ts from the TypeScript sources (tests, `tsx src/main.ts`); the compiled
// coordinator starts dist/evaluationWorker.mjs instead. A worker thread does not inherit tsx's loader.
const { register } = await import('tsx/esm/api');
register();
await import(new URL('./evaluationWorker.ts', import.meta.url).href);
