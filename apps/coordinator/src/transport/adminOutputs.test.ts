import type { EventLogEntry } from '@flock/fl-core';
import type { Server } from 'socket.io';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import { SNAPSHOT_EVERY_MS, adminOutputs } from './adminSocket.ts';

/** adminOutputs over a fake of the admin namespace: what it emits to which room. */
function outputs(runsRounds = true) {
  const emitted: Array<{ room: string; event: string; payload: unknown }> = [];
  const io = {
    of: () => ({ to: (room: string) => ({ emit: (event: string, payload: unknown) => emitted.push({ room, event, payload }) }) }),
  } as unknown as Server;
  const runtime = {
    runsRounds,
    summary: () => ({ status: 'running' }),
    deviceCounts: () => ({ total: 2, online: 1, training: 0 }),
    lastRoundRecord: () => null,
  } as unknown as FederationRuntime;
  return { out: adminOutputs(io, new Map([['fed', runtime]])), emitted };
}

const entry = (message: string): EventLogEntry => ({ at: new Date(0).toISOString(), federationId: 'fed', level: 'info', kind: 'k', message, deviceId: null });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("the dashboard's live feed", () => {
  it('sends the events logged in one turn as one message, in order, to the federation room', () => {
    const { out, emitted } = outputs();
    for (const m of ['a', 'b', 'c']) out.event(entry(m));
    out.event({ ...entry('not a federation'), federationId: null });
    expect(emitted).toEqual([]);
    vi.runAllTimers();
    expect(emitted).toEqual([{ room: 'admin-console:fed', event: 'events', payload: [entry('a'), entry('b'), entry('c')] }]);
    out.event(entry('d'));
    vi.runAllTimers();
    expect(emitted.at(-1)?.payload).toEqual([entry('d')]);
  });

  it('sends one snapshot for all the changes of SNAPSHOT_EVERY_MS, and none from a coordinator that does not run the rounds', () => {
    const { out, emitted } = outputs();
    for (let i = 0; i < 50; i++) out.changed('fed');
    vi.advanceTimersByTime(SNAPSHOT_EVERY_MS - 1);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(emitted).toEqual([
      { room: 'admin-console:fed', event: 'snapshot', payload: expect.objectContaining({ deviceCounts: { total: 2, online: 1, training: 0 } }) },
    ]);
    const follower = outputs(false);
    follower.out.changed('fed');
    vi.runAllTimers();
    expect(follower.emitted).toEqual([]);
  });
});
