import { describe, expect, it } from 'vitest';
import type { PartialAggregate, WeightsManifest } from '@flock/fl-core';
import { effectsOfType as ofType, ENGINE_TEST_CONFIG as config, T0, testUpdate } from '../testing/engineTesting.ts';
import { SyncRoundEngine, type SharedUpdate } from './syncRoundEngine.ts';

const manifest: WeightsManifest = [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' }];

/** An owner engine with shared aggregation, a and b online, round 1 opened. */
function opened(): SyncRoundEngine {
  const e = new SyncRoundEngine(config, manifest, { status: 'idle', completedRounds: 0, global: new Float32Array([1, 2, 3, 4]), sharedAggregation: true });
  e.deviceOnline('a', T0);
  e.deviceOnline('b', T0);
  const [open] = ofType(e.start(T0).effects, 'roundOpened');
  expect(open).toMatchObject({ round: 1, deviceIds: ['a', 'b'], startedAt: T0, deadline: T0 + 10_000 });
  return e;
}

const counted = (deviceId: string, examples: number): SharedUpdate => ({ deviceId, round: 1, examples, loss: 0.5, accuracy: 0.9, bytesUp: 100 });

/** What a coordinator folds for one update: the engine checks the payload and gives its partial. */
function partialOf(e: SyncRoundEngine, deviceId: string, values: number[], examples: number): PartialAggregate {
  const folded = e.partialOf(testUpdate(manifest, deviceId, 1, values, examples));
  if (!folded.ok) throw new Error(folded.reason);
  return folded.partial;
}

describe('SyncRoundEngine with shared aggregation (several coordinators)', () => {
  it('opens a round for the adapter to share instead of sending the model itself', () => {
    const e = opened();
    expect(e.status).toBe('training');
    expect(e.round).toBe(1);
  });

  it('counts updates other coordinators folded, seals when all answered, and closes with the merged partials', () => {
    const e = opened();
    expect(ofType(e.countShared(counted('a', 100), T0 + 1), 'roundSealing')).toEqual([]);
    expect(e.updatesThisRound).toBe(1);
    const sealing = e.countShared(counted('b', 300), T0 + 2);
    expect(ofType(sealing, 'roundSealing')).toEqual([{ type: 'roundSealing', round: 1 }]);
    expect(e.status).toBe('aggregating');
    expect(e.round).toBe(1);
    const partials = [partialOf(e, 'a', [1, 1, 1, 1], 100), partialOf(e, 'b', [4, -2, 0, 0], 300)];
    const [closed] = ofType(e.sealed(1, { partials, counted: [counted('a', 100), counted('b', 300)] }, T0 + 3), 'roundClosed');
    expect([...closed!.newGlobal]).toEqual([1 + 3.25, 2 - 1.25, 3 + 0.25, 4 + 0.25]);
    expect(closed).toMatchObject({ participants: ['a', 'b'], examples: 400, bytesUp: 200, closedBy: 'all-answered', trainLoss: 0.5 });
  });

  it('closes with what the store sealed, even when a counted message had not arrived yet', () => {
    const e = opened();
    e.countShared(counted('a', 100), T0 + 1);
    e.tick(T0 + 10_001);
    const partials = [partialOf(e, 'a', [1, 1, 1, 1], 100), partialOf(e, 'b', [1, 1, 1, 1], 100)];
    const [closed] = ofType(e.sealed(1, { partials, counted: [counted('a', 100), counted('b', 100)] }, T0 + 10_002), 'roundClosed');
    expect(closed).toMatchObject({ participants: ['a', 'b'], examples: 200, closedBy: 'deadline' });
  });

  it('redoes the round when the store sealed nothing, and ignores a count for another round', () => {
    const e = opened();
    expect(e.countShared({ ...counted('a', 100), round: 2 }, T0 + 1)).toEqual([]);
    e.countShared(counted('a', 100), T0 + 1);
    e.countShared(counted('b', 100), T0 + 2);
    const effects = e.sealed(1, { partials: [], counted: [] }, T0 + 3);
    expect(ofType(effects, 'roundAbandoned')[0]?.reason).toBe('no coordinator had counted an update when it closed');
    expect(ofType(effects, 'roundOpened')[0]).toMatchObject({ round: 1 });
  });

  it('refuses to fold an update whose payload does not fit the model', () => {
    const e = opened();
    const smaller: WeightsManifest = [{ name: 'dense/kernel', shape: [2], dtype: 'float32' }];
    expect(e.partialOf(testUpdate(smaller, 'a', 1, [1, 2], 100))).toMatchObject({ ok: false });
    expect(e.partialOf(testUpdate(manifest, 'a', 1, [1, Number.NaN, 0, 0], 100))).toMatchObject({ ok: false });
  });

  it('begins a round on a tick with devices it was given online (a coordinator taking over)', () => {
    const e = new SyncRoundEngine(config, manifest, {
      status: 'waiting',
      completedRounds: 2,
      global: new Float32Array(4),
      sharedAggregation: true,
      online: ['a', 'b'],
    });
    const [open] = ofType(e.tick(T0), 'roundOpened');
    expect(open).toMatchObject({ round: 3, deviceIds: ['a', 'b'] });
  });
});
