import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const readJson = <T>(path: string): T => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as T;

interface PackageJson {
  engines?: { node?: string };
}
interface PackageLock {
  packages: Record<string, PackageJson>;
}

const root = readJson<PackageJson>('../../../../package.json');
const coordinator = readJson<PackageJson>('../../package.json');
const lock = readJson<PackageLock>('../../../../package-lock.json');

describe('the Node versions we declare', () => {
  it('are the same for the repository and the packed flockctl', () => {
    expect(coordinator.engines?.node).toBe(root.engines?.node);
  });

  it('include the Node that runs the tests', () => {
    expect(semver.satisfies(process.version, root.engines!.node!)).toBe(true);
  });

  it('start where every installed package runs (npm warns EBADENGINE otherwise)', () => {
    const minimum = semver.minVersion(root.engines!.node!)!.version;
    const refusing = Object.entries(lock.packages)
      .filter(([, p]) => p.engines?.node !== undefined && !semver.satisfies(minimum, p.engines.node))
      .map(([path, p]) => `${path.replace(/^.*node_modules\//, '') || 'the repository'} needs node ${p.engines!.node}`);
    expect(refusing, `our engines.node starts at ${minimum}`).toEqual([]);
  });
});
