// Compiles the coordinator and the `flockctl` command (apps/coordinator/src) with @flock/fl-core into
// apps/coordinator/dist, so that they run on plain `node`: `npm start` imports dist/main.mjs in its own
// process, and bin/flockctl.mjs runs dist/flockctl.mjs. The same bundle makes `npm pack` of the
// coordinator a tarball that installs and runs anywhere (fl-core is a workspace package no registry has).
// esbuild rather than tsc or tsup: it is already what bundles fl-core's TypeScript (which plain node
// cannot run and tsc would leave as separate .ts imports), it takes well under a second, and tsup is a
// wrapper around it. Real npm dependencies stay external and are installed with the package.
import { readFileSync } from 'node:fs';
import { build, stop } from 'esbuild';

const root = new URL('..', import.meta.url);
const readJson = (path) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

/** Builds apps/coordinator/dist; throws with a sentence when the coordinator's package.json misses what fl-core needs. */
export async function buildCoordinator() {
  const coordinator = readJson('apps/coordinator/package.json');
  const flCore = readJson('packages/fl-core/package.json');
  // What fl-core needs at run time must be installed with the packed coordinator, at the same range.
  const missing = Object.entries(flCore.dependencies).filter(([name, range]) => coordinator.dependencies[name] !== range);
  if (missing.length > 0) {
    const list = missing.map(([name, range]) => `"${name}": "${range}"`).join(', ');
    throw new Error(`apps/coordinator/package.json must list fl-core's dependencies at the same ranges: add ${list} to its dependencies`);
  }
  try {
    await build({
      absWorkingDir: new URL('apps/coordinator', root).pathname,
      // Worker threads start from ./simulationWorker.mjs, ./evaluationWorker.mjs and ./maskWorker.mjs next to the code that spawns them.
      entryPoints: {
        main: 'src/main.ts',
        flockctl: 'src/cli/flockctl.ts',
        simulationWorker: 'src/simulation/simulationWorker.ts',
        evaluationWorker: 'src/evaluation/evaluationWorker.ts',
        maskWorker: 'src/secagg/maskWorker.ts',
      },
      outdir: 'dist',
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      // Chunks sit beside the entries: the code reads ../package.json and ./simulationWorker.mjs relative to itself.
      chunkNames: '[name]-[hash]',
      format: 'esm',
      platform: 'node',
      target: 'node20.19',
      external: Object.keys(coordinator.dependencies),
      sourcemap: 'linked',
      logLevel: 'warning',
    });
  } finally {
    // esbuild's service process would otherwise live as long as `npm start`'s coordinator.
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await buildCoordinator();
  } catch (err) {
    console.error(`build-coordinator: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
