import type { Ack, ParsedUpdateMessage } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { ChunkedUploads, type UploadProblem } from './chunkedUploads.ts';

const header = { federationId: 'fed', round: 3, numExamples: 10, metrics: { loss: 0.5, accuracy: 0.9 } };
const payload = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
const chunk = (offset: number, n: number, round = 3) => ({ federationId: 'fed', round, offset, data: payload.slice(offset, offset + n) });
const d1 = { federationId: 'fed', deviceId: 'd1' };
const d2 = { federationId: 'fed', deviceId: 'd2' };
const d3 = { federationId: 'fed', deviceId: 'd3' };
const anything: UploadProblem = () => null;

function recorder(reply: Ack = { ok: true }) {
  const submitted: ParsedUpdateMessage[] = [];
  return { submitted, submit: (u: ParsedUpdateMessage) => (submitted.push(u), reply) };
}

/** A federation running `round` with `selected` devices and updates of at most `maxBytes`. */
function federation(state: { round: number; selected: string[]; maxBytes: number }): UploadProblem {
  return (sender, round, totalBytes) => {
    if (totalBytes > state.maxBytes) return `an update of ${totalBytes} bytes is larger than any update of this federation's model`;
    if (round !== state.round) return `update for round ${round} but round ${state.round} is running`;
    if (!state.selected.includes(sender.deviceId)) return `device ${sender.deviceId} is not selected for round ${state.round}`;
    return null;
  };
}

describe('ChunkedUploads', () => {
  it('assembles an update, hands it over once, and tells a device that asks again that it is done', () => {
    const uploads = new ChunkedUploads(anything);
    const { submitted, submit } = recorder();
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 0, done: false });
    expect(uploads.chunk(d1, chunk(0, 4), submit)).toEqual({ ok: true, received: 4, done: false });
    expect(uploads.bufferedBytes).toBe(4);
    // Reconnected: begin again for the same round resumes where the bytes stopped.
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 4, done: false });
    expect(uploads.chunk(d1, chunk(4, 6), submit)).toEqual({ ok: true, received: 10, done: true });
    expect(submitted).toEqual([{ ...header, payload }]);
    expect(uploads.bufferedBytes).toBe(0);
    // The last ack was lost: nothing is sent or submitted twice.
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 10, done: true });
    expect(submitted).toHaveLength(1);
  });

  it('uploads afresh an update for a round the device was sent again (redone), instead of saying it is done', () => {
    const uploads = new ChunkedUploads(anything);
    const { submitted, submit } = recorder();
    uploads.begin(d1, { ...header, totalBytes: 10 });
    expect(uploads.chunk(d1, chunk(0, 10), submit)).toEqual({ ok: true, received: 10, done: true });
    uploads.roundSent('fed', ['d1', 'd2'], 2);
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 10, done: true });
    uploads.roundSent('fed', ['d1'], 3);
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 0, done: false });
    expect(uploads.chunk(d1, chunk(0, 10), submit)).toEqual({ ok: true, received: 10, done: true });
    expect(submitted).toHaveLength(2);
  });

  it('takes memory as chunks arrive, not when a size is announced', () => {
    const uploads = new ChunkedUploads(anything);
    expect(uploads.begin(d1, { ...header, totalBytes: 30 * 1024 * 1024 })).toMatchObject({ ok: true });
    expect(uploads.bufferedBytes).toBe(0);
  });

  it('refuses at begin an update for a round not running, from an unselected device, too large for the model, or naming another federation', () => {
    const uploads = new ChunkedUploads(federation({ round: 3, selected: ['d1'], maxBytes: 8 }));
    expect(uploads.begin(d1, { ...header, round: 2, totalBytes: 6 })).toEqual({ ok: false, reason: 'update for round 2 but round 3 is running' });
    expect(uploads.begin(d2, { ...header, totalBytes: 6 })).toEqual({ ok: false, reason: 'device d2 is not selected for round 3' });
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toEqual({ ok: false, reason: expect.stringContaining('larger than any update') });
    expect(uploads.begin(d1, { ...header, federationId: 'other', totalBytes: 6 })).toEqual({
      ok: false,
      reason: expect.stringContaining('said hello to "fed"'),
    });
    expect(uploads.begin(d1, { ...header, totalBytes: 6 })).toMatchObject({ ok: true });
  });

  it('refuses chunks without a begin and malformed messages', () => {
    const uploads = new ChunkedUploads(anything);
    const { submit } = recorder();
    expect(uploads.chunk(d1, chunk(0, 4), submit)).toMatchObject({ ok: false, reason: expect.stringContaining('send update:begin first') });
    expect(uploads.begin(d1, { ...header, totalBytes: 'many' })).toMatchObject({ ok: false, reason: expect.stringContaining('update:begin is malformed') });
    expect(uploads.begin(d1, { ...header, totalBytes: 6 })).toMatchObject({ ok: true });
    expect(uploads.chunk(d1, { ...chunk(0, 4), data: new Uint8Array(0) }, submit)).toMatchObject({ ok: false, reason: expect.stringContaining('1 to') });
    expect(uploads.chunk(d1, chunk(2, 2), submit)).toMatchObject({ ok: false, reason: expect.stringContaining('leaves a gap') });
  });

  it('refuses a begin over the budget of all devices together for now, and lets it in once room is made', () => {
    const uploads = new ChunkedUploads(anything, { budgetBytes: 25, idleMs: 60_000, disconnectGraceMs: 1_000 });
    const { submit } = recorder();
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toMatchObject({ ok: true });
    expect(uploads.begin(d2, { ...header, totalBytes: 10 })).toMatchObject({ ok: true });
    const refused = uploads.begin(d3, { ...header, totalBytes: 10 });
    expect(refused).toEqual({ ok: false, reason: expect.stringMatching(/upload budget .*retries shortly/), retryAfterMs: expect.any(Number) });
    uploads.chunk(d1, chunk(0, 10), submit);
    expect(uploads.begin(d3, { ...header, totalBytes: 10 })).toMatchObject({ ok: true });
  });

  it('frees an upload whose device stays disconnected past the grace, and keeps one whose device came back', () => {
    let now = 0;
    const uploads = new ChunkedUploads(anything, { budgetBytes: 1_000, idleMs: 60_000, disconnectGraceMs: 1_000 }, () => now);
    const { submit } = recorder();
    uploads.begin(d1, { ...header, totalBytes: 10 });
    uploads.begin(d2, { ...header, totalBytes: 10 });
    uploads.chunk(d1, chunk(0, 4), submit);
    uploads.chunk(d2, chunk(0, 4), submit);
    uploads.disconnected(d1);
    uploads.disconnected(d2);
    now = 500;
    expect(uploads.begin(d2, { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 4, done: false });
    now = 1_000;
    uploads.sweep();
    expect(uploads.bufferedBytes).toBe(4);
    expect(uploads.begin(d1, { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 0, done: false });
  });

  it('frees uploads when their round closes', () => {
    const state = { round: 3, selected: ['d1', 'd2'], maxBytes: 100 };
    const uploads = new ChunkedUploads(federation(state));
    const { submit } = recorder();
    uploads.begin(d1, { ...header, totalBytes: 10 });
    uploads.chunk(d1, chunk(0, 4), submit);
    expect(uploads.bufferedBytes).toBe(4);
    state.round = 4;
    uploads.sweep();
    expect(uploads.bufferedBytes).toBe(0);
  });

  it('keeps one update per device: a new round replaces the old, and an idle one is dropped', () => {
    let now = 0;
    const uploads = new ChunkedUploads(anything, { budgetBytes: 100, idleMs: 1_000, disconnectGraceMs: 1_000 }, () => now);
    const { submit } = recorder({ ok: false, reason: 'update for round 3 but round 4 is running' });
    uploads.begin(d1, { ...header, totalBytes: 10 });
    uploads.chunk(d1, chunk(0, 4), submit);
    uploads.begin(d1, { ...header, round: 4, totalBytes: 20 });
    expect(uploads.bufferedBytes).toBe(0);
    uploads.begin(d2, { ...header, totalBytes: 10 });
    uploads.chunk(d2, chunk(0, 4), submit);
    now = 2_000;
    uploads.begin(d3, { ...header, totalBytes: 5 });
    expect(uploads.bufferedBytes).toBe(0);
    // A refused update's reason comes back with its last chunk, and again on a later begin.
    expect(uploads.chunk(d3, chunk(0, 5), submit)).toEqual({ ok: false, reason: 'update for round 3 but round 4 is running' });
    expect(uploads.begin(d3, { ...header, totalBytes: 5 })).toEqual({ ok: false, reason: 'update for round 3 but round 4 is running' });
  });
});
