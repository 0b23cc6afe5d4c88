import { pino } from 'pino';
import type { Server } from 'socket.io';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGES_PER_EMIT, serverSideBus } from './clusterBus.ts';
import type { ClusterMessage } from './clusterMessages.ts';

/** Two coordinators' buses over a fake of Socket.IO's server-side events: what one emits reaches the other's listener. */
function pair() {
  const listeners = new Map<string, ((raw: unknown) => void)[]>();
  const emitted: unknown[] = [];
  const io = {
    on: (event: string, listener: (raw: unknown) => void) => listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    serverSideEmit: (_event: string, message: unknown) => emitted.push(message),
  } as unknown as Server;
  const deliver = (raw: unknown) => {
    for (const listener of listeners.get('flock:cluster') ?? []) listener(raw);
  };
  return { bus: serverSideBus(io, 'coordinator-1', pino({ level: 'silent' })), emitted, deliver };
}

describe('the bus between coordinators', () => {
  it('stamps what it publishes with its coordinator id, and hands what another sent to its handlers', async () => {
    const { bus, emitted, deliver } = pair();
    bus.publish({ kind: 'federation-changed', federationId: 'demo' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(emitted).toEqual([[{ kind: 'federation-changed', federationId: 'demo', from: 'coordinator-1' }]]);
    const heard: ClusterMessage[] = [];
    bus.subscribe((m) => void heard.push(m));
    deliver({ kind: 'operate', federationId: 'demo', action: 'pause', from: 'coordinator-2' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual([{ kind: 'operate', federationId: 'demo', action: 'pause', from: 'coordinator-2' }]);
  });

  it('ignores what it does not understand, and a handler that throws stops nothing', async () => {
    const { bus, deliver } = pair();
    const heard: ClusterMessage[] = [];
    bus.subscribe(() => {
      throw new Error('handler failed');
    });
    bus.subscribe((m) => void heard.push(m));
    for (const raw of [null, 'text', { kind: 'operate', federationId: 'demo', action: 'delete-everything', from: 'x' }, { kind: 'unknown' }]) deliver(raw);
    deliver({
      kind: 'counted',
      federationId: 'demo',
      attempt: 'a',
      from: 'c',
      update: { deviceId: 'device-1', round: 1, examples: -5, loss: 0, accuracy: 0, bytesUp: 1 },
    });
    deliver({ kind: 'federation-changed', federationId: 'demo', from: 'coordinator-3' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual([{ kind: 'federation-changed', federationId: 'demo', from: 'coordinator-3' }]);
  });

  it('sends what is published in one turn as one event, in order, and at most MAX_MESSAGES_PER_EMIT messages an event', async () => {
    const { bus, emitted } = pair();
    const count = MAX_MESSAGES_PER_EMIT + 5;
    for (let i = 0; i < count; i++) bus.publish({ kind: 'federation-changed', federationId: `f${i}` });
    expect(emitted).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(emitted.map((e) => (e as unknown[]).length)).toEqual([MAX_MESSAGES_PER_EMIT, 5]);
    expect((emitted.flat() as ClusterMessage[]).map((m) => (m as { federationId: string }).federationId)).toEqual(
      Array.from({ length: count }, (_, i) => `f${i}`),
    );
    bus.publish({ kind: 'federation-changed', federationId: 'later' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(emitted).toHaveLength(3);
  });

  it('hands on every message of a list it understands, in order, and skips only those it does not', async () => {
    const { bus, deliver } = pair();
    const heard: string[] = [];
    bus.subscribe((m) => void heard.push(m.kind === 'federation-changed' ? m.federationId : m.kind));
    deliver([
      { kind: 'federation-changed', federationId: 'a', from: 'coordinator-2' },
      { kind: 'federation-changed', federationId: 7, from: 'coordinator-2' },
      { kind: 'federation-changed', federationId: 'b', from: 'coordinator-2' },
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toEqual(['a', 'b']);
  });
});
