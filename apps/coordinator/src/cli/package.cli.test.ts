import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const COORDINATOR = new URL('../..', import.meta.url).pathname;

describe('the packed flockctl', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('installs globally from its npm pack tarball and runs --help and a simulation outside the repository', { timeout: 180_000 }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'flockctl-pack-'));
    dirs.push(work);
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: COORDINATOR });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const prefix = join(work, 'prefix');
    // From the local npm cache when it has every dependency (offline), else from the registry.
    await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, filename)], { cwd: work });
    const flockctl = join(prefix, 'bin', 'flockctl');
    // Outside the repository: no workspace, no tsx, nothing but what the tarball brought.
    const help = await run(flockctl, ['--help'], { cwd: work });
    expect(help.stdout).toMatch(/^Usage: flockctl \[options\] \[command\]/);
    expect(help.stdout).toMatch(/simulate/);
    const sim = await run(
      flockctl,
      ['simulate', '--devices', '2', '--fraction', '1', '--rounds', '1', '--examples-per-device', '20', '--eval-examples', '50', '--threads', '1', '--json'],
      { cwd: work },
    );
    expect(JSON.parse(sim.stdout.trim().split('\n').at(-1)!)).toMatchObject({ roundsCompleted: 1 });
  });
});
