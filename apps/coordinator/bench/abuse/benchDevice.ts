import type { FederationConfig } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import type { Socket } from 'socket.io-client';
import type { CoordinatorProcess } from '../../src/testing/coordinatorProcess.ts';
import { connectDevice, helloFrom } from '../../src/testing/deviceSockets.ts';

const REPLY_TIMEOUT_MS = 30_000;

/** A device that said hello with data of its own; `round` resolves with the number of the first round:start it hears. */
export interface BenchDevice {
  socket: Socket;
  round: Promise<number>;
}

export async function benchDevice(url: string, federationId: string, deviceId: string): Promise<BenchDevice> {
  const socket = connectDevice(url, { reconnection: false });
  const round = new Promise<number>((resolve) => socket.once('round:start', (msg: { round: number }) => resolve(msg.round)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const hello = helloFrom(deviceId, federationId, { dataSource: { kind: 'own', numExamples: 10 } });
  const reply = (await socket.timeout(REPLY_TIMEOUT_MS).emitWithAck('hello', hello)) as { ok: boolean; reason?: string };
  if (!reply.ok) throw new Error(`hello of ${deviceId} refused: ${reply.reason}`);
  return { socket, round };
}

/** A federation that starts its first round once `devices` said hello, with a deadline far beyond the bench. */
export function benchFederation(id: string, model: FederationConfig['model'], devices: number): FederationConfig {
  return testFederationConfig({
    id,
    model,
    dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 10, numDevices: devices, seed: 1 },
    minDevices: devices,
    deadline: { mode: 'fixed', ms: 3_600_000 },
    codec: { uplink: 'float32', downlink: 'float32' },
  });
}

/** Creates `config`, brings its devices, starts it and waits until every device heard round:start; returns the devices and the round. */
export async function startedFederation(
  coordinator: CoordinatorProcess,
  config: FederationConfig,
  devices: number,
): Promise<{ devices: BenchDevice[]; round: number }> {
  await admin(coordinator, 'POST', '/api/federations', config);
  const joined: BenchDevice[] = [];
  for (let i = 0; i < devices; i++) joined.push(await benchDevice(coordinator.url, config.id, `${config.id}-${String(i).padStart(3, '0')}`));
  await admin(coordinator, 'POST', `/api/federations/${config.id}/start`);
  const rounds = await Promise.all(joined.map((d) => d.round));
  return { devices: joined, round: Math.max(...rounds) };
}

/** An admin REST call that must succeed; returns the response body's bytes. */
export async function admin(coordinator: CoordinatorProcess, method: string, path: string, body?: unknown): Promise<Uint8Array> {
  const res = await fetch(`${coordinator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${coordinator.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${new TextDecoder().decode(bytes).slice(0, 500)}`);
  return bytes;
}
