// Builds the web client when its bundle is missing or older than any of its sources.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bundle = join(root, 'apps/web-client/dist/index.html');
const sources = ['apps/web-client/src', 'apps/web-client/index.html', 'packages/fl-core/src', 'vite.config.ts'];

function newestMtime(path) {
  const full = join(root, path);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(full).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), stat.mtimeMs);
}

const builtAt = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
if (builtAt < Math.max(...sources.map(newestMtime))) {
  console.log(builtAt ? 'Web client sources changed: rebuilding…' : 'Building the web client (first start)…');
  execSync('npx vite build --logLevel warn', { cwd: root, stdio: 'inherit' });
}
