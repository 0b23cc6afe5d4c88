import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { guarded, type SocketBoundaryDeps } from './socketBoundary.ts';

function fakeSocket() {
  const errors: { event: string; reason: string }[] = [];
  return { errors, emit: (_: 'protocol:error', msg: { event: string; reason: string }) => errors.push(msg) };
}

function deps(eventLog?: string[]): SocketBoundaryDeps & { failures: string[] } {
  const failures: string[] = [];
  return {
    failures,
    metrics: { handlerFailed: (door) => failures.push(door) },
    logger: pino({ level: 'silent' }),
    door: (event) => `socket ${event}`,
    eventLogOf: eventLog ? () => (message) => eventLog.push(message) : undefined,
  };
}

describe('socket error boundary', () => {
  it('answers a handler that throws with a reason in its ack and counts the failure', () => {
    const d = deps();
    const ack = vi.fn();
    guarded(fakeSocket(), 'status', d, () => {
      throw new TypeError('boom');
    })({ state: 'idle' }, ack);
    expect(ack).toHaveBeenCalledWith({ ok: false, reason: expect.stringMatching(/failed while handling status/) });
    expect(d.failures).toEqual(['socket status']);
  });

  it('answers a rejected async handler without an ack as protocol:error and warns in the federation log', async () => {
    const log: string[] = [];
    const d = deps(log);
    const socket = fakeSocket();
    guarded(socket, 'hello', d, async () => {
      throw new Error('database gone');
    })({});
    await vi.waitFor(() => expect(socket.errors).toHaveLength(1));
    expect(socket.errors[0]).toEqual({ event: 'hello', reason: expect.stringMatching(/failed while handling hello/) });
    expect(log).toEqual(['the coordinator failed while handling hello: database gone']);
    expect(d.failures).toEqual(['socket hello']);
  });

  it('answers once: a handler that replied and then threw is not answered twice', () => {
    const d = deps();
    const ack = vi.fn();
    guarded<{ ok: boolean }>(fakeSocket(), 'update', d, (_, answer) => {
      answer({ ok: true });
      throw new Error('after the reply');
    })({}, ack);
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledWith({ ok: true });
    expect(d.failures).toEqual(['socket update']);
  });
});
