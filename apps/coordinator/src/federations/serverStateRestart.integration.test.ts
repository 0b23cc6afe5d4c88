import {
  StrategyConfig,
  createStrategy,
  decodeWeights,
  encodeWeights,
  type ParsedRoundStartMessage,
  type RoundRecord,
  type WeightsManifest,
} from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, sayHello } from '../testing/deviceSockets.ts';
import { RestartableCoordinator } from '../testing/restartableCoordinator.ts';

const TOKEN = 'server-state-restart-test-admin-token';
const strategy = StrategyConfig.parse({ name: 'fedadam', options: { eta: 0.1, beta1: 0.5, beta2: 0.75, tau: 0.5 } });

let coordinator: RestartableCoordinator;
const sockets: Socket[] = [];
let credential: string | undefined;

beforeAll(async () => {
  coordinator = await RestartableCoordinator.launch('flock-server-state-', TOKEN);
});

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await coordinator?.close();
});

const api = <T>(method: string, path: string, body?: unknown) => coordinator.api<T>(method, path, body);

async function roundsRecorded(count: number): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if ((await api<RoundRecord[]>('GET', '/api/federations/adam/rounds')).body.length >= count) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`round ${count} was not recorded`);
}

/** Connects the federation's one device (again, with its credential after the first hello) and waits for its next round. */
async function deviceForNextRound(): Promise<{ socket: Socket; round: ParsedRoundStartMessage }> {
  const socket = connectDevice(coordinator.url, credential ? { auth: { token: credential } } : {});
  sockets.push(socket);
  const round = new Promise<ParsedRoundStartMessage>((resolve) => socket.once('round:start', resolve));
  const reply = await sayHello(socket, 'device-adam', 'adam');
  if (!reply.ok) throw new Error(reply.reason);
  credential ??= reply.credential;
  return { socket, round: await round };
}

function delta(size: number, phase: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + phase) * 0.01);
}

describe('a FedAdam federation across a coordinator restart', () => {
  it("stores the server optimizer's moments with each round and resumes them, so round 2 is what an uninterrupted run gives", async () => {
    const created = await api(
      'POST',
      '/api/federations',
      testFederationConfig({
        id: 'adam',
        name: 'fedadam restart',
        dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 10, numDevices: 1, seed: 1 },
        maxRounds: 3,
        belowQuorum: 'extend-once',
        evalExamples: 10,
        codec: { uplink: 'float32', downlink: 'float32' },
        strategy,
      }),
    );
    expect(created.status).toBe(201);

    const first = deviceForNextRound();
    expect((await api('POST', '/api/federations/adam/start')).status).toBe(200);
    const { socket, round: round1 } = await first;
    expect(round1.round).toBe(1);
    const { manifest, values: initial } = decodeWeights(round1.weights) as { manifest: WeightsManifest; values: Float32Array };
    const [d1, d2] = [delta(initial.length, 1), delta(initial.length, 2)];
    const send = (s: Socket, round: number, d: Float32Array) =>
      s.emitWithAck('update', {
        federationId: 'adam',
        round,
        numExamples: 10,
        metrics: { loss: 1, accuracy: 0.1 },
        payload: encodeWeights(manifest, d, 'delta'),
      });
    expect(await send(socket, 1, d1)).toEqual({ ok: true });
    await roundsRecorded(1);

    socket.disconnect();
    await coordinator.restart();
    const again = await deviceForNextRound();
    expect(again.round.round).toBe(2);
    expect(await send(again.socket, 2, d2)).toEqual({ ok: true });
    await roundsRecorded(2);
    const stored = new Float32Array(await (await fetch(`${coordinator.url}/api/federations/adam/model/weights.bin`)).arrayBuffer());

    const uninterrupted = createStrategy(strategy, { size: initial.length, maxHeldUpdates: 1 });
    const oneRound = (s: typeof uninterrupted, global: Float32Array, d: Float32Array) => {
      const aggregation = s.beginRound();
      aggregation.add(d, 10);
      return s.step(global, aggregation.result());
    };
    const after1 = oneRound(uninterrupted, initial, d1);
    const expected = oneRound(uninterrupted, after1, d2);
    const restartedFromZero = oneRound(createStrategy(strategy, { size: initial.length, maxHeldUpdates: 1 }), after1, d2);
    const maxGap = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    expect(maxGap(stored, expected)).toBeLessThan(1e-6);
    expect(maxGap(stored, restartedFromZero)).toBeGreaterThan(1e-4);
  }, 120_000);
});
