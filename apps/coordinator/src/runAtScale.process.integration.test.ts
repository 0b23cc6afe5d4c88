import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childProcesses, freePort } from './testing/coordinatorProcess.ts';
import { until } from './testing/testCoordinator.ts';

// `npm run start:scale` (deploy/run-at-scale.mjs) end to end, on free ports and a state folder of its own:
// PostgreSQL, Redis, three compiled coordinators and HAProxy.
const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const TOKEN = 'run-at-scale-test-admin-token';
const STARTED = 'Press Ctrl-C to stop everything.';

let stateDir: string;
let script: ChildProcess;
let output = '';
let ports: { balancer: number; coordinators: number[]; postgres: number; redis: number };

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Running: /proc has it and it is not a zombie waiting for a parent that does not reap (PostgreSQL's is init). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const [balancer, postgres, redis, ...coordinators] = await distinctFreePorts(6);
  ports = { balancer: balancer!, postgres: postgres!, redis: redis!, coordinators };
  stateDir = await mkdtemp(join(tmpdir(), 'flock-scale-'));
  // Under root PostgreSQL runs as the postgres user, which must reach its folder inside (mkdtemp makes it owner-only).
  await chmod(stateDir, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, FLOCK_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' };
  delete env.FLOCK_DATABASE_URL;
  delete env.FLOCK_REDIS_URL;
  script = spawn(
    process.execPath,
    [
      'deploy/run-at-scale.mjs',
      ...['--port', String(ports.balancer), '--host', '127.0.0.1', '--coordinator-ports', coordinators.join(',')],
      ...['--postgres-port', String(ports.postgres), '--redis-port', String(ports.redis), '--state-dir', stateDir],
    ],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  script.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  script.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(
    async () => {
      if (script.exitCode !== null) throw new Error(`run-at-scale.mjs exited (code ${script.exitCode})`);
      return output.includes(STARTED) || undefined;
    },
    'run-at-scale.mjs to start everything',
    110_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its output:\n${output}`);
  });
}, 120_000);

afterAll(async () => {
  if (script && script.exitCode === null && script.signalCode === null) {
    script.kill('SIGTERM');
    await new Promise((resolve) => script.once('exit', resolve));
  }
  await rm(stateDir, { recursive: true, force: true });
});

describe('npm run start:scale', () => {
  it('serves the pages and the API through the balancer, tells people the URL and the admin token, with three coordinators on one database', async () => {
    const entry = `http://127.0.0.1:${ports.balancer}`;
    expect(output).toContain(`${entry}/admin`);
    expect(output).toContain(TOKEN);
    expect((await fetch(`${entry}/api/health`)).status).toBe(200);
    expect((await fetch(`${entry}/admin`)).status).toBe(200);
    for (const port of ports.coordinators) expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
    const listed = await fetch(`${entry}/api/coordinators`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const coordinators = (await listed.json()) as { id: string; alive: boolean }[];
    expect(coordinators.map((c) => [c.id, c.alive]).sort()).toEqual([
      ['coordinator-1', true],
      ['coordinator-2', true],
      ['coordinator-3', true],
    ]);
  });

  it('stops everything it started on SIGTERM, PostgreSQL included, and frees every port', async () => {
    const postmaster = Number(readFileSync(join(stateDir, 'postgres/data/postmaster.pid'), 'utf8').split('\n')[0]);
    const started = [...childProcesses(script.pid!), postmaster];
    expect(started.filter(running)).toHaveLength(6); // Redis, three coordinators, HAProxy, PostgreSQL
    const exited = new Promise<number | null>((resolve) => script.once('exit', (code) => resolve(code)));
    script.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Everything stopped.');
    expect(started.filter(running)).toEqual([]);
    const allPorts = [ports.balancer, ports.postgres, ports.redis, ...ports.coordinators];
    for (const port of allPorts) expect(await portFree(port)).toBe(true);
  });
});
