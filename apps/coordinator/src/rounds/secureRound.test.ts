import { createRng } from '@flock/fl-core';
import {
  quantizationLevels,
  quantizeWeighted,
  SecAggDevice,
  SecAggMaskedInputRequest,
  SecAggShareKeysRequest,
  SecAggUnmaskRequest,
} from '@flock/fl-core/secagg';
import { describe, expect, it } from 'vitest';
import { SecureRound, type AskDevices, type HeldVector, type SecureRoundEffect, type SecureStage } from './secureRound.ts';

const FEDERATION = 'fed-secure';
const ROUND = 4;
const LENGTH = 200;
const CLIP = 1;
const MAX_WEIGHT = 600;
const STARTED = 1_000_000;
const DEADLINE = STARTED + 60_000;

interface PlayedDevice {
  id: string;
  update: Float32Array;
  weight: number;
  device: SecAggDevice;
  /** Seed of the device's stochastic rounding, so a test can recompute its plaintext quantized vector. */
  seed: number;
}

function playDevices(n: number): PlayedDevice[] {
  const rng = createRng(17);
  return Array.from({ length: n }, (_, i) => {
    const id = `device-${String(i).padStart(2, '0')}`;
    return {
      id,
      update: Float32Array.from({ length: LENGTH }, () => (rng() - 0.5) * 3),
      weight: 1 + Math.floor(rng() * 800),
      device: new SecAggDevice({ federationId: FEDERATION, round: ROUND, deviceId: id }),
      seed: 500 + i,
    };
  });
}

function openRound(devices: readonly PlayedDevice[], observe?: (held: HeldVector) => void): { round: SecureRound; ask: AskDevices } {
  const round = new SecureRound({
    federationId: FEDERATION,
    round: ROUND,
    selected: devices.map((d) => d.id),
    vectorLength: LENGTH,
    clip: CLIP,
    maxWeight: MAX_WEIGHT,
    roundSeed: 'seed-of-round-4',
    config: { enabled: true },
    startedAt: STARTED,
    deadline: DEADLINE,
    ...(observe ? { observe } : {}),
  });
  return { round, ask: askOf(round.begin(), 'advertise') };
}

function askOf(effects: readonly SecureRoundEffect[], stage: SecureStage): AskDevices {
  const ask = effects.find((e): e is AskDevices => e.type === 'askDevices');
  if (!ask) throw new Error(`no devices were asked for ${stage}: ${JSON.stringify(effects.map((e) => (e.type === 'aborted' ? e.reason : e.type)))}`);
  expect(ask.stage).toBe(stage);
  return ask;
}

/** What a device answers a stage's request with. */
async function answer(d: PlayedDevice, ask: AskDevices): Promise<unknown> {
  const request = ask.requests.get(d.id);
  switch (ask.stage) {
    case 'advertise':
      return d.device.advertise();
    case 'share-keys':
      return unwrap(await d.device.shareKeys(SecAggShareKeysRequest.parse(request)));
    case 'masked-input':
      return unwrap(await d.device.maskInput(SecAggMaskedInputRequest.parse(request), d.update, d.weight, createRng(d.seed)));
    case 'unmask':
      return unwrap(d.device.unmask(SecAggUnmaskRequest.parse(request)));
  }
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** Every device asked (minus `silent`) answers; returns the effects of the last answer (the stage closing) and of a deadline tick when some stayed silent. */
async function play(
  round: SecureRound,
  ask: AskDevices,
  devices: readonly PlayedDevice[],
  silent: ReadonlySet<string> = new Set(),
): Promise<SecureRoundEffect[]> {
  let effects: SecureRoundEffect[] = [];
  for (const d of devices) {
    if (!ask.requests.has(d.id) || silent.has(d.id)) continue;
    const received = await round.receive(d.id, ask.stage, await answer(d, ask));
    expect(received.result).toEqual({ ok: true });
    effects = received.effects;
  }
  return silent.size > 0 ? round.tick(ask.deadline) : effects;
}

/** The whole round; devices in `dropAfterShareKeys` never send their masked input. */
async function runRound(devices: readonly PlayedDevice[], dropAfterShareKeys: ReadonlySet<string>, observe?: (held: HeldVector) => void) {
  const { round, ask } = openRound(devices, observe);
  const shareKeys = askOf(await play(round, ask, devices), 'share-keys');
  const masked = askOf(await play(round, shareKeys, devices), 'masked-input');
  const unmask = askOf(await play(round, masked, devices, dropAfterShareKeys), 'unmask');
  return { round, effects: await play(round, unmask, devices) };
}

function finishedOf(effects: readonly SecureRoundEffect[]) {
  const done = effects.find((e) => e.type === 'finished');
  if (!done) throw new Error(`the round did not finish: ${JSON.stringify(effects.map((e) => (e.type === 'aborted' ? e.reason : e.type)))}`);
  return done;
}

/** Plaintext weighted FedAvg of the clipped updates, weights capped as the masked domain caps them. */
function plaintextFedAvg(devices: readonly PlayedDevice[]): Float32Array {
  const mean = new Float32Array(LENGTH);
  const total = devices.reduce((s, d) => s + Math.min(d.weight, MAX_WEIGHT), 0);
  for (const d of devices)
    for (let j = 0; j < LENGTH; j++) mean[j]! += (Math.min(d.weight, MAX_WEIGHT) * Math.min(Math.max(d.update[j]!, -CLIP), CLIP)) / total;
  return mean;
}

function expectFedAvg(mean: Float32Array, contributors: readonly PlayedDevice[]): void {
  const expected = plaintextFedAvg(contributors);
  const worst = Math.max(...expected.map((x, j) => Math.abs(x - mean[j]!)));
  expect(worst).toBeLessThan(1e-5);
}

describe('a secure round on the coordinator', () => {
  for (const dropping of [0, 3])
    it(`finishes with the plaintext weighted FedAvg of the clipped updates (10 devices, ${dropping} dropping after key sharing)`, async () => {
      const devices = playDevices(10);
      const dropped = new Set(devices.slice(0, dropping).map((d) => d.id));
      const { round, effects } = await runRound(devices, dropped);
      const survivors = devices.filter((d) => !dropped.has(d.id));
      const done = finishedOf(effects);
      expect(done.contributors).toEqual(survivors.map((d) => d.id));
      expect(done.totalWeight).toBeCloseTo(
        survivors.reduce((s, d) => s + Math.min(d.weight, MAX_WEIGHT), 0),
        2,
      );
      expectFedAvg(done.mean, survivors);
      expect(round.stage).toBe('finished');
    });

  it('holds only masked vectors and their sum, never an individual update', async () => {
    const devices = playDevices(10);
    const held: HeldVector[] = [];
    const { effects } = await runRound(devices, new Set(['device-01']), (v) => held.push(v));
    finishedOf(effects);
    expect(held.map((v) => v.kind)).toEqual([...Array<string>(9).fill('masked'), 'sum']);
    const levels = quantizationLevels(10);
    for (const v of held) {
      if (v.kind !== 'masked') continue;
      const d = devices.find((x) => x.id === v.deviceId)!;
      const plain = quantizeWeighted(d.update, d.weight, { clip: CLIP, maxWeight: MAX_WEIGHT, levels }, createRng(d.seed));
      expect(v.words.filter((w, j) => w === plain[j]).length).toBeLessThan(3);
      // Plaintext words sit in [0, levels], a tenth of 2^32; masked words spread over all of it.
      const meanFraction = v.words.reduce((s, w) => s + w / 2 ** 32, 0) / v.words.length;
      expect(meanFraction).toBeGreaterThan(0.4);
      expect(meanFraction).toBeLessThan(0.6);
    }
  });

  it('aborts with the reason, publishing nothing, when fewer than the threshold send masked inputs', async () => {
    const devices = playDevices(10);
    const { round, ask } = openRound(devices);
    const shareKeys = askOf(await play(round, ask, devices), 'share-keys');
    const masked = askOf(await play(round, shareKeys, devices), 'masked-input');
    const effects = await play(round, masked, devices, new Set(devices.slice(0, 8).map((d) => d.id)));
    expect(effects).toEqual([
      { type: 'stageClosed', stage: 'masked-input', closedBy: 'deadline', answered: 2, missing: devices.slice(0, 8).map((d) => d.id) },
      {
        type: 'aborted',
        stage: 'masked-input',
        reason: expect.stringMatching(/^Only 2 devices sent masked updates and secure aggregation needs at least 3, so no sum is published/),
      },
    ]);
    expect(round.stage).toBe('aborted');
    const after = await round.receive('device-09', 'unmask', {});
    expect(after.result).toEqual({ ok: false, reason: expect.stringMatching(/was called off, so this message was not counted; the round will be redone$/) });
  });

  it('refuses a late, repeated, garbled or foreign answer with a reason, and the sum stays right', async () => {
    const devices = playDevices(6);
    const [late, twice, garbled] = devices;
    const { round, ask } = openRound(devices);
    expect((await round.receive('stranger', 'advertise', {})).result).toEqual({ ok: false, reason: 'this device was not selected for round 4' });
    expect((await round.receive(twice!.id, 'share-keys', {})).result).toEqual({
      ok: false,
      reason: 'round 4 is at the advertise stage, so a share-keys message is too early and was ignored',
    });
    const shareKeys = askOf(await play(round, ask, devices), 'share-keys');
    // One device answers key sharing only after the stage closed at its deadline: it is left out, the others go on.
    const lateShares = await answer(late!, shareKeys);
    const masked = askOf(await play(round, shareKeys, devices, new Set([late!.id])), 'masked-input');
    expect((await round.receive(late!.id, 'share-keys', lateShares)).result).toEqual({
      ok: false,
      reason: 'the share-keys stage of round 4 had closed when this device answered, so its answer was not counted; it sits this round out',
    });
    expect(masked.requests.has(late!.id)).toBe(false);

    const garbledInput = (await answer(garbled!, masked)) as { masked: Uint8Array };
    for (const payload of [null, 'noise', { ...garbledInput, masked: garbledInput.masked.subarray(0, 40) }, { ...garbledInput, round: 3 }]) {
      const refused = await round.receive(garbled!.id, 'masked-input', payload);
      expect(refused.result.ok, JSON.stringify(payload)).toBe(false);
      expect(refused.effects).toEqual([]);
    }
    expect((await round.receive(garbled!.id, 'masked-input', garbledInput)).result).toEqual({ ok: true });
    const twiceInput = await answer(twice!, masked);
    expect((await round.receive(twice!.id, 'masked-input', twiceInput)).result).toEqual({ ok: true });
    expect((await round.receive(twice!.id, 'masked-input', twiceInput)).result).toEqual({
      ok: false,
      reason: 'This device already sent its masked update for this round.',
    });
    const rest = devices.filter((d) => d !== late && d !== twice && d !== garbled);
    const unmask = askOf(await play(round, masked, rest), 'unmask');
    const done = finishedOf(
      await play(
        round,
        unmask,
        devices.filter((d) => d !== late),
      ),
    );
    expect(done.contributors).toEqual(devices.filter((d) => d !== late).map((d) => d.id));
    expectFedAvg(
      done.mean,
      devices.filter((d) => d !== late),
    );
  });

  it('closes each stage at its deadline, derived from the round deadline, or as soon as every device asked answered or left', async () => {
    const devices = playDevices(4);
    const { round, ask } = openRound(devices);
    expect(ask.deadline).toBe(STARTED + 6_000);
    expect(await round.tick(STARTED + 5_999)).toEqual([]);
    for (const d of devices.slice(0, 3)) await round.receive(d.id, 'advertise', await answer(d, ask));
    const closed = await round.tick(STARTED + 6_000);
    expect(closed[0]).toEqual({ type: 'stageClosed', stage: 'advertise', closedBy: 'deadline', answered: 3, missing: ['device-03'] });
    const shareKeys = askOf(closed, 'share-keys');
    expect(shareKeys.deadline).toBe(STARTED + 12_000);
    expect([...shareKeys.requests.keys()].sort()).toEqual(['device-00', 'device-01', 'device-02']);

    for (const d of devices.slice(0, 2)) await round.receive(d.id, 'share-keys', await answer(d, shareKeys));
    const left = await round.deviceLeft('device-02');
    expect(left[0]).toEqual({ type: 'stageClosed', stage: 'share-keys', closedBy: 'all-answered', answered: 2, missing: ['device-02'] });
    const masked = askOf(left, 'masked-input');
    expect(masked.deadline).toBe(DEADLINE);
    expect(round.stageDeadline).toBe(DEADLINE);
    const unmask = askOf(await play(round, masked, devices), 'unmask');
    expect(unmask.deadline).toBe(DEADLINE + 6_000);
    expect(await round.tick(DEADLINE + 5_999)).toEqual([]);
    const ended = await round.tick(DEADLINE + 6_000);
    expect(ended).toEqual([
      { type: 'stageClosed', stage: 'unmask', closedBy: 'deadline', answered: 0, missing: ['device-00', 'device-01'] },
      { type: 'aborted', stage: 'unmask', reason: expect.stringMatching(/^Only 0 devices returned the shares needed/) },
    ]);
    expect(round.stageDeadline).toBeNull();
  });
});
