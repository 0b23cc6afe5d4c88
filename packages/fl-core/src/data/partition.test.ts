import { describe, expect, it } from 'vitest';
import { partitionDirichlet, partitionIid, partitionShards, type Partition } from './partition.ts';
import { seedFromText } from './random.ts';

const labels = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 10);

function expectDisjoint(p: Partition): void {
  const all = p.flat();
  expect(new Set(all).size).toBe(all.length);
}

describe('partitioners', () => {
  it('IID: deterministic by seed, disjoint, the requested size, different for another seed', () => {
    const a = partitionIid(1000, 10, 90, 42);
    expect(partitionIid(1000, 10, 90, 42)).toEqual(a);
    expect(partitionIid(1000, 10, 90, 43)).not.toEqual(a);
    expect(a.map((d) => d.length)).toEqual(Array(10).fill(90));
    expectDisjoint(a);
  });

  it('IID: refuses more examples than there are', () => {
    expect(() => partitionIid(100, 10, 11, 1)).toThrow(/exceed/);
  });

  it('shards: each device sees at most two labels (the paper pathological non-IID), disjoint, deterministic', () => {
    const p = partitionShards(labels, 50, 2, 3);
    expect(partitionShards(labels, 50, 2, 3)).toEqual(p);
    expectDisjoint(p);
    expect(p.flat().length).toBe(1000);
    for (const device of p) {
      expect(device.length).toBe(20);
      expect(new Set(device.map((i) => labels[i])).size).toBeLessThanOrEqual(2);
    }
  });

  it('Dirichlet: covers every example once, deterministic; small alpha skews labels more than large alpha', () => {
    const skewed = partitionDirichlet(labels, 10, 0.1, 5);
    expect(partitionDirichlet(labels, 10, 0.1, 5)).toEqual(skewed);
    expectDisjoint(skewed);
    expect(skewed.flat().length).toBe(1000);
    const even = partitionDirichlet(labels, 10, 1000, 5);
    const labelsSeen = (p: Partition) => p.reduce((n, d) => n + new Set(d.map((i) => labels[i])).size, 0);
    expect(labelsSeen(skewed)).toBeLessThan(labelsSeen(even));
    expect(() => partitionDirichlet(labels, 10, 0, 5)).toThrow(/alpha/);
  });
});

describe('seedFromText', () => {
  it('is reproducible and differs between devices and rounds', () => {
    expect(seedFromText('demo-0/1')).toBe(seedFromText('demo-0/1'));
    const seeds = new Set(['demo-0/1', 'demo-1/1', 'demo-0/2', 'demo-1/2'].map(seedFromText));
    expect(seeds.size).toBe(4);
  });
});
