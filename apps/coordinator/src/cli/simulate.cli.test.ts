import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel, encodeWeights, manifestOf, manifestSize } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../../bin/flockctl.mjs', import.meta.url).pathname;

/** What one device downloads per round: the 2NN in the default float16 downlink. */
function mlpDownlinkBytes(): number {
  const model = buildModel('mnist-mlp', 1);
  const manifest = manifestOf(model);
  model.dispose();
  return encodeWeights(manifest, new Float32Array(manifestSize(manifest)), 'weights', { name: 'float16' }).byteLength;
}

/** Values in the 2NN. */
function mlpValues(): number {
  const model = buildModel('mnist-mlp', 1);
  const size = manifestSize(manifestOf(model));
  model.dispose();
  return size;
}

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

describe('flockctl simulate', () => {
  it('runs 10 virtual devices for 3 rounds, prints valid JSON lines and reaches 60% accuracy', { timeout: 240_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'flock-sim-out-'));
    const args = ['simulate', '--devices', '10', '--fraction', '0.5', '--rounds', '3', '--model', 'mnist-mlp', '--examples-per-device', '100'];
    const { code, stdout, stderr } = await runFlock([
      ...args,
      '--eval-examples',
      '500',
      '--seed',
      '7',
      '--backend',
      'cpu',
      '--threads',
      '2',
      '--json',
      '--out',
      out,
    ]);
    expect(code, stderr).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    for (const [i, r] of lines.slice(0, 3).entries()) {
      expect(r).toMatchObject({ round: i + 1, participants: 5, accuracy: expect.any(Number), loss: expect.any(Number) });
      // 5 devices down (float16), the same 5 up (int8: about half of that).
      expect(r.bytesDown).toBe(5 * mlpDownlinkBytes());
      expect((r.bytesUp as number) / (r.bytesDown as number)).toBeCloseTo(0.51, 2);
    }
    expect(lines[2]!.accuracy).toBeGreaterThanOrEqual(0.6);
    expect(lines[3]).toMatchObject({ roundsToTarget: null, bestAccuracy: expect.any(Number), backend: 'cpu' });
    expect(await readFile(join(out, 'rounds.csv'), 'utf8')).toMatch(/^round,participants/);
    expect(await readFile(join(out, 'accuracy.svg'), 'utf8')).toContain('<svg');
  });

  it('is quiet by default: no TensorFlow.js banner, no Vulkan warning; --verbose lets them through', { timeout: 120_000 }, async () => {
    // No --backend: the chooser's own path, where Dawn used to be tried and warn on a machine without Vulkan.
    const args = ['simulate', '--devices', '2', '--fraction', '1', '--rounds', '1', '--examples-per-device', '20', '--eval-examples', '50', '--threads', '1'];
    const noise = /Hi, looks like you are running TensorFlow\.js|Vulkan/;
    const quiet = await runFlock(args);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout + quiet.stderr).not.toMatch(noise);
    expect(quiet.stdout).toMatch(/"roundsCompleted":1/);
    const verbose = await runFlock(['--verbose', ...args]);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stdout + verbose.stderr).toMatch(noise);
  });

  it('gives its defaults in words in --help', async () => {
    const { stdout } = await runFlock(['simulate', '--help']);
    expect(stdout).toMatch(/dirichlet:ALPHA \(default: iid\)/);
    expect(stdout).not.toMatch(/default: [{"]/);
  });

  it('refuses a bad flag with a reason', async () => {
    const { code, stderr } = await runFlock(['simulate', '--partition', 'zipf']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/iid, shards or dirichlet/);
    const sync = await runFlock(['simulate', '--buffer', '4']);
    expect(sync.code).not.toBe(0);
    expect(sync.stderr).toMatch(/need --mode async/);
    const lone = await runFlock(['simulate', '--secagg-dropout', '0.2']);
    expect(lone.stderr).toMatch(/--secagg-dropout needs --secagg/);
  });

  it(
    '50 devices, 20% dropping out mid-round: every round closes within its 20 s deadline, none is lost, and no dropped device uploads',
    { timeout: 120_000 },
    async () => {
      const args = [
        'simulate',
        '--devices',
        '50',
        '--fraction',
        '0.3',
        '--rounds',
        '3',
        '--model',
        'mnist-mlp',
        '--examples-per-device',
        '20',
        '--eval-examples',
        '200',
      ];
      const flags = ['--deadline', '20000', '--quorum', '0.5', '--dropout', '0.2', '--seed', '3', '--backend', 'cpu', '--threads', '2', '--json'];
      const { code, stdout, stderr } = await runFlock([...args, ...flags]);
      expect(code, stderr).toBe(0);
      const { rounds, summary } = parseReport(stdout);
      expect(rounds.map((r) => r.round)).toEqual([1, 2, 3]);
      for (const r of rounds) {
        expect(r).toMatchObject({ withinDeadline: true, extended: false });
        expect(r.durationMs).toBeLessThan(20_000);
        // Every selected device got the model once: those that answered and those that dropped out are all of them.
        expect(r.bytesDown).toBe((r.participants + r.dropped) * mlpDownlinkBytes());
      }
      expect(summary).toMatchObject({ roundsCompleted: 3, roundsAttempted: 3 });
      expect(summary.dropped).toBeGreaterThan(0);
      console.log(
        `20% dropout, 50 devices: rounds completed ${summary.roundsCompleted} of ${summary.roundsAttempted} attempted, ${summary.dropped} dropouts, ${summary.wallSeconds} s`,
      );
    },
  );

  it(
    'secure aggregation: 8 devices, 20% dropping after sharing their keys; every round closes with the masked sum of those that stayed and the model learns',
    { timeout: 120_000 },
    async () => {
      const args = ['simulate', '--devices', '8', '--fraction', '1', '--rounds', '3', '--model', 'mnist-mlp', '--examples-per-device', '100'];
      // At 20% a round seldom loses so many devices that fewer than its threshold stay (then it is redone, which can wait for a stage's deadline).
      const flags = ['--eval-examples', '500', '--secagg', '--secagg-dropout', '0.2', '--seed', '2', '--backend', 'cpu', '--threads', '1', '--json'];
      const { code, stdout, stderr } = await runFlock([...args, ...flags]);
      expect(code, stderr).toBe(0);
      const { rounds, summary } = parseReport(stdout);
      expect(rounds.map((r) => r.round)).toEqual([1, 2, 3]);
      expect(summary).toMatchObject({ roundsCompleted: 3, roundsAttempted: 3 });
      expect(summary.dropped).toBeGreaterThan(0);
      // Each masked update carries the model's values and the weight, 4 bytes each.
      const maskedBytes = (mlpValues() + 1) * 4;
      for (const r of rounds) expect(r.bytesUp).toBe(r.participants * maskedBytes);
      expect(rounds.some((r) => r.participants < 8)).toBe(true);
      expect(rounds.at(-1)!.accuracy).toBeGreaterThan(0.6);
      console.log(
        `secure aggregation, 8 devices, 20% dropout after key sharing: accuracy ${rounds.map((r) => r.accuracy).join(' -> ')}, ${summary.wallSeconds} s`,
      );
    },
  );

  it('FedBuff: with 30% of the devices 5x slower, async aggregation reaches 80% test accuracy within 10 aggregations', { timeout: 120_000 }, async () => {
    const args = ['simulate', '--devices', '6', '--mode', 'async', '--buffer', '2', '--max-staleness', '4', '--slow-fraction', '0.3', '--slow-factor', '5'];
    const flags = [
      '--rounds',
      '10',
      '--target-accuracy',
      '0.8',
      '--model',
      'mnist-mlp',
      '--epochs',
      '2',
      '--examples-per-device',
      '300',
      '--eval-examples',
      '500',
      '--seed',
      '7',
      '--backend',
      'cpu',
      '--threads',
      '2',
      '--json',
    ];
    const { code, stdout, stderr } = await runFlock([...args, ...flags]);
    expect(code, stderr).toBe(0);
    const { rounds, summary } = parseReport(stdout);
    for (const r of rounds) expect(r).toMatchObject({ closedBy: 'buffer-full', withinDeadline: null, participants: expect.any(Number) });
    expect(summary.roundsToTarget).not.toBeNull();
    expect(summary.roundsToTarget).toBeLessThanOrEqual(10);
    expect(summary.bestAccuracy).toBeGreaterThanOrEqual(0.8);
    console.log(`FedBuff: accuracy ${summary.bestAccuracy} after ${summary.roundsToTarget} aggregations, ${summary.wallSeconds} s`);
  });
});

interface RoundLine {
  round: number;
  participants: number;
  dropped: number;
  closedBy: string | null;
  extended: boolean;
  withinDeadline: boolean | null;
  accuracy: number | null;
  durationMs: number;
  bytesUp: number;
  bytesDown: number;
}

interface SummaryLine {
  roundsCompleted: number;
  roundsAttempted: number;
  roundsToTarget: number | null;
  bestAccuracy: number | null;
  dropped: number;
  wallSeconds: number;
}

/** `--json` output: a line per round, then the summary. */
function parseReport(stdout: string): { rounds: RoundLine[]; summary: SummaryLine } {
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  return { rounds: lines.slice(0, -1) as RoundLine[], summary: lines.at(-1) as SummaryLine };
}
