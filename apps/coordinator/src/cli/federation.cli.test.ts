import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MINIMAL_CONFIG } from '@flock/fl-core/testing';
import { describe, expect, it } from 'vitest';
import { freePort } from '../testing/coordinatorProcess.ts';
import { runInProcess } from '../testing/inProcessCommand.ts';
import { useTestCoordinator } from '../testing/testCoordinator.ts';
import { addFederationCommand } from './federationCommand.ts';

const TOKEN = 'federation-cli-test-admin-token';
const BIN = new URL('../../bin/flockctl.mjs', import.meta.url).pathname;
const env = useTestCoordinator('flock-federation-cli-', TOKEN);

/** As a person writes it: the round policy fields left to their defaults. */
const CONFIG = {
  ...MINIMAL_CONFIG,
  id: 'cli-fed',
  name: 'made by the CLI',
  dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 100, numDevices: 4, seed: 1 },
  training: { epochs: 1, batchSize: 10, learningRate: 0.1, optimizer: 'momentum' },
  maxRounds: 5,
  minDevices: 2,
  evalExamples: 200,
};

/** `flockctl federation ...` in-process against the test's coordinator, real REST. */
const federation = (...args: string[]) => runInProcess(addFederationCommand, ['federation', ...args, '--url', env.coordinator.url, '--admin-token', TOKEN]);

describe('flockctl federation', () => {
  it('creates from a config file, starts, reports status and stops', async () => {
    const file = join(env.dir, 'config.json');
    await writeFile(file, JSON.stringify(CONFIG));
    expect(await federation('create', '--config', file)).toEqual([expect.stringMatching(/^created cli-fed {2}idle {2}round 0\/5 {2}mnist-mlp on mnist/)]);
    expect((await federation('start', 'cli-fed'))[0]).toMatch(/^started cli-fed {2}waiting/);
    const status = await federation('status', 'cli-fed');
    expect(status[0]).toMatch(/^cli-fed {2}waiting/);
    expect(status[1]).toMatch(/no device has joined yet, no round running, no evaluated round yet/);
    const all = (await federation('status')).join('\n');
    expect(all).toMatch(/^demo {2}idle/m);
    expect(all).toMatch(/^cli-fed {2}waiting/m);
    const json = JSON.parse((await federation('stop', 'cli-fed', '--json'))[0]!) as { status: string };
    expect(json.status).toBe('stopped');
  });

  it("names what is wrong in a config file before sending it, and passes on the coordinator's refusal", async () => {
    const file = join(env.dir, 'bad.json');
    await writeFile(file, JSON.stringify({ ...CONFIG, id: 'bad', training: { ...CONFIG.training, batchSize: 0 } }));
    await expect(federation('create', '--config', file)).rejects.toThrow(/bad\.json: training\.batchSize: /);
    await expect(federation('start', 'cli-fed')).rejects.toThrow(/HTTP 409: .*stopped/);
  });
});

describe('flockctl federation status without a coordinator', () => {
  it('names the address it tried and says what to do', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const child = spawn(process.execPath, [BIN, 'federation', 'status', '--url', url, '--admin-token', TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(
      `flockctl: no coordinator answers at ${url} (ECONNREFUSED): start one with \`flockctl serve\`, or pass --url with the address of one that runs`,
    );
  });
});

describe('flockctl serve', () => {
  it('serves the coordinator on the given port and data directory until SIGTERM', { timeout: 120_000 }, async () => {
    const dataDir = join(env.dir, 'served');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
      env: { ...process.env, FLOCK_ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString();
        const match = /Flock coordinator on (http:\/\/\S+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`flockctl serve exited with ${code}: ${output}`)));
    });
    const health = (await (await fetch(`${url}/api/health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    const list = await fetch(`${url}/api/federations`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await list.json()) as { config: { id: string } }[]).map((f) => f.config.id)).toEqual(['demo']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
