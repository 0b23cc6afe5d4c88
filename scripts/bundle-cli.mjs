// Bundles the `flockctl` command (apps/coordinator/src/cli) with @flock/fl-core into
// apps/coordinator/dist, so that `npm pack` of the coordinator gives a tarball that installs and runs
// anywhere: fl-core is a workspace package that no registry has, and a global install has no tsx.
// Real npm dependencies stay external and are installed with the package.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const readJson = (path) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));
const coordinator = readJson('apps/coordinator/package.json');
const flCore = readJson('packages/fl-core/package.json');

// What fl-core needs at run time must be installed with the packed coordinator, at the same range.
const missing = Object.entries(flCore.dependencies).filter(([name, range]) => coordinator.dependencies[name] !== range);
if (missing.length > 0) {
  const list = missing.map(([name, range]) => `"${name}": "${range}"`).join(', ');
  console.error(`bundle-cli: apps/coordinator/package.json must list fl-core's dependencies at the same ranges: add ${list} to its dependencies`);
  process.exit(1);
}

await build({
  absWorkingDir: new URL('apps/coordinator', root).pathname,
  // The device pool starts its threads from ./simulationWorker.mjs next to the code that spawns them.
  entryPoints: { flockctl: 'src/cli/flockctl.ts', simulationWorker: 'src/simulation/simulationWorker.ts' },
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
