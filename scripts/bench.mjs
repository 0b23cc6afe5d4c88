// `npm run bench -- <name> [args...]`: runs the benchmark <workspace>/bench/<name>.ts; results are JSON lines on stdout.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const benchDirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name, 'bench'))
    .filter(existsSync),
);
const available = benchDirs.flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ dir, name: f.slice(0, -3) })),
);
const [name, ...args] = process.argv.slice(2);
const bench = available.find((b) => b.name === name);
if (!bench) {
  console.error(
    `usage: npm run bench -- <name> [args]; benchmarks: ${
      available
        .map((b) => b.name)
        .sort()
        .join(', ') || 'none'
    }`,
  );
  process.exit(2);
}
const child = spawn('npx', ['tsx', join(bench.dir, `${bench.name}.ts`), ...args], { cwd: root, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
