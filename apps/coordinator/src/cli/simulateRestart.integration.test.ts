import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/coordinatorProcess.ts';
import { until } from '../testing/testCoordinator.ts';

const BIN = new URL('../../bin/flockctl.mjs', import.meta.url).pathname;
const TOKEN = 'simulate-restart-test-token';
const ROUNDS = 4;

const children = new Set<ChildProcess>();
let dataDir: string | null = null;

function flock(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return { child, output: () => ({ stdout, stderr }) };
}

/** A coordinator process on `port` keeping its data in `dataDir`, once it answers /api/health. */
async function serve(port: number, dir: string): Promise<ChildProcess> {
  const { child, output } = flock(['serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dir], { FLOCK_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn' });
  const healthy = async () => (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok === true;
  await until(async () => (child.exitCode === null && (await healthy()) ? true : undefined), `the coordinator on port ${port} (${output().stderr})`, 60_000);
  return child;
}

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('flockctl simulate --server', () => {
  it('rides out a coordinator killed (SIGKILL) and restarted on the same data dir and port mid-run: every round completes', { timeout: 240_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flock-sim-restart-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let coordinator = await serve(port, dataDir);
    const args = ['--devices', '4', '--fraction', '1', '--rounds', String(ROUNDS), '--examples-per-device', '50', '--eval-examples', '200', '--seed', '2'];
    const sim = flock(['simulate', '--server', url, '--token', TOKEN, ...args, '--backend', 'cpu', '--threads', '1', '--json']);
    const exited = new Promise<number | null>((resolve) => sim.child.on('exit', resolve));
    try {
      await until(async () => (sim.output().stdout.includes('"round":1,') ? true : undefined), 'round 1', 120_000);
      coordinator.kill('SIGKILL');
      await new Promise((resolve) => coordinator.once('exit', resolve));
      await new Promise((r) => setTimeout(r, 2_000)); // the simulation's calls find nobody listening
      coordinator = await serve(port, dataDir);

      const code = await exited;
      const { stdout, stderr } = sim.output();
      expect(code, stderr).toBe(0);
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.slice(0, -1).map((l) => l.round)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
      expect(lines.at(-1)).toMatchObject({ roundsCompleted: ROUNDS });
      // Reset when the kill catches a poll in flight, refused when it falls between two.
      expect(stderr).toContain(`coordinator at ${url} unreachable (`);
      expect(stderr).toMatch(/ unreachable \((ECONNREFUSED|ECONNRESET)\); retrying for up to 120 s\n/);
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    } catch (err) {
      const { stdout, stderr } = sim.output();
      throw new Error(`${String(err)}\nsimulate stdout:\n${stdout}\nsimulate stderr:\n${stderr}`, { cause: err });
    }
  });
});
