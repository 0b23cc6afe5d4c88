// Builds what is missing or older than its sources: the web client (Vite) and the compiled coordinator
// (scripts/build-coordinator.mjs). `npm start`, bin/flockctl.mjs, the test runs and the coordinator's prepack call
// it; run alone, it does both. A fresh build is left alone, so a running coordinator's lazily loaded chunks stay put.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newestMtime(path) {
  const full = join(root, path);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(full).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), stat.mtimeMs);
}

/** When `output` is missing or older than any of `sources`: says so in `what`'s words, then runs `rebuild`. */
async function rebuildIfStale(output, sources, what, rebuild) {
  const builtAt = existsSync(join(root, output)) ? statSync(join(root, output)).mtimeMs : 0;
  if (builtAt >= Math.max(...sources.map(newestMtime))) return;
  // On stderr: flockctl's stdout is for what the command prints (JSON included).
  console.error(builtAt ? `${what} sources changed: rebuilding…` : `Building ${what.toLowerCase()} (first start)…`);
  await rebuild();
}

export async function ensureWebClientBuilt() {
  const sources = ['apps/web-client/src', 'apps/web-client/index.html', 'packages/fl-core/src', 'vite.config.ts'];
  await rebuildIfStale('apps/web-client/dist/index.html', sources, 'The web client', () =>
    // NODE_ENV=production whoever calls: under vitest (NODE_ENV=test) Vite would bundle React's development
    // build, half as large again and slower, and the e2e specs would then time that.
    execSync('npx vite build --logLevel warn', { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } }),
  );
}

export async function ensureCoordinatorBuilt() {
  const sources = [
    'apps/coordinator/src',
    'apps/coordinator/package.json',
    'packages/fl-core/src',
    'packages/fl-core/package.json',
    'scripts/build-coordinator.mjs',
  ];
  await rebuildIfStale('apps/coordinator/dist/main.mjs', sources, 'The coordinator', async () => {
    const { buildCoordinator } = await import('./build-coordinator.mjs');
    await buildCoordinator();
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // --coordinator: only the coordinator (the package's prepack, whose tarball carries no web client).
  if (!process.argv.includes('--coordinator')) await ensureWebClientBuilt();
  await ensureCoordinatorBuilt();
}
