// Runs maskWorker.ts from the TypeScript sources (tests, `tsx src/main.ts`); the compiled coordinator starts
// dist/maskWorker.mjs instead. A worker thread does not inherit tsx's loader.
const { register } = await import('tsx/esm/api');
register();
await import(new URL('./maskWorker.ts', import.meta.url).href);
