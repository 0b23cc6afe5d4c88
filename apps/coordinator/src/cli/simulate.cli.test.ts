import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/flock.mjs', import.meta.url).pathname;

function runFlock(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('flock simulate', () => {
  it('runs 10 virtual devices for 3 rounds, prints valid JSON lines and reaches 60% accuracy', { timeout: 240_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'flock-sim-out-'));
    const args = ['simulate', '--devices', '10', '--fraction', '0.5', '--rounds', '3', '--model', 'mnist-mlp', '--examples-per-device', '100'];
    const { code, stdout, stderr } = await runFlock([...args, '--eval-examples', '500', '--seed', '7', '--backend', 'cpu', '--threads', '2', '--json', '--out', out]);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    for (const [i, r] of lines.slice(0, 3).entries()) {
      expect(r).toMatchObject({ round: i + 1, participants: 5, accuracy: expect.any(Number), loss: expect.any(Number) });
      expect(r.bytesUp).toBeGreaterThan(0);
      expect(r.bytesDown).toBe(r.bytesUp); // 5 devices down, the same 5 up, both a full 2NN
    }
    expect(lines[2]!.accuracy).toBeGreaterThanOrEqual(0.6);
    expect(lines[3]).toMatchObject({ roundsToTarget: null, bestAccuracy: expect.any(Number), backend: 'cpu' });
    expect(await readFile(join(out, 'rounds.csv'), 'utf8')).toMatch(/^round,participants/);
    expect(await readFile(join(out, 'accuracy.svg'), 'utf8')).toContain('<svg');
  });

  it('refuses a bad flag with a reason', async () => {
    const { code, stderr } = await runFlock(['simulate', '--partition', 'zipf']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/iid, shards or dirichlet/);
  });
});
