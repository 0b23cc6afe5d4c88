import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryCoordinators } from '../storage/memory/memoryCoordinators.ts';
import type { CoordinatorRepository } from '../storage/store.ts';
import { until } from '../testing/testCoordinator.ts';
import { CoordinatorHeartbeat } from './coordinatorHeartbeat.ts';

const INTERVAL_MS = 20;

function capturedLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) }));
  return { logger, lines };
}

const source = (devices: () => number) => ({ id: 'coordinator-a', url: 'http://127.0.0.1:3000', startedAt: new Date(Date.UTC(2026, 0, 1)), devices });

describe('coordinator heartbeat', () => {
  it('is listed as soon as it starts, keeps its device count current, and leaves the list when stopped', async () => {
    const store = new MemoryCoordinators();
    let devices = 2;
    const heartbeat = await CoordinatorHeartbeat.start(
      store,
      source(() => devices),
      capturedLogger().logger,
      INTERVAL_MS,
    );
    expect(await store.list(1_000)).toMatchObject([{ id: 'coordinator-a', url: 'http://127.0.0.1:3000', devices: 2, alive: true }]);
    devices = 7;
    await until(async () => ((await store.list(1_000))[0]?.devices === 7 ? true : undefined), 'the next heartbeat', 2_000);
    await heartbeat.stop();
    expect(await store.list(1_000)).toEqual([]);
  });

  it('logs a failed write and goes on beating instead of throwing', async () => {
    const inner = new MemoryCoordinators();
    let failing = true;
    const flaky: CoordinatorRepository = {
      heartbeat: async (info) => (failing ? Promise.reject(new Error('connection terminated unexpectedly')) : inner.heartbeat(info)),
      list: (ms) => inner.list(ms),
      remove: async () => Promise.reject(new Error('connection terminated unexpectedly')),
    };
    const { logger, lines } = capturedLogger();
    const heartbeat = await CoordinatorHeartbeat.start(
      flaky,
      source(() => 0),
      logger,
      INTERVAL_MS,
    );
    expect(lines.join('')).toContain('heartbeat write failed');
    failing = false;
    await until(async () => ((await inner.list(1_000)).length === 1 ? true : undefined), 'a heartbeat once the store answers again', 2_000);
    await heartbeat.stop();
    expect(lines.join('')).toContain('could not take this coordinator off the coordinators list');
  });
});
