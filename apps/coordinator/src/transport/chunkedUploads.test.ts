import type { Ack, ParsedUpdateMessage } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { ChunkedUploads } from './chunkedUploads.ts';

const header = { federationId: 'fed', round: 3, numExamples: 10, metrics: { loss: 0.5, accuracy: 0.9 } };
const payload = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
const chunk = (offset: number, n: number, round = 3) => ({ federationId: 'fed', round, offset, data: payload.slice(offset, offset + n) });

function recorder(reply: Ack = { ok: true }) {
  const submitted: ParsedUpdateMessage[] = [];
  return { submitted, submit: (u: ParsedUpdateMessage) => (submitted.push(u), reply) };
}

describe('ChunkedUploads', () => {
  it('assembles an update, hands it over once, and tells a device that asks again that it is done', () => {
    const uploads = new ChunkedUploads();
    const { submitted, submit } = recorder();
    expect(uploads.begin('fed/d1', { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 0, done: false });
    expect(uploads.chunk('fed/d1', chunk(0, 4), submit)).toEqual({ ok: true, received: 4, done: false });
    expect(uploads.bufferedBytes).toBe(10);
    // Reconnected: begin again for the same round resumes where the bytes stopped.
    expect(uploads.begin('fed/d1', { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 4, done: false });
    expect(uploads.chunk('fed/d1', chunk(4, 6), submit)).toEqual({ ok: true, received: 10, done: true });
    expect(submitted).toEqual([{ ...header, payload }]);
    expect(uploads.bufferedBytes).toBe(0);
    // The last ack was lost: nothing is sent or submitted twice.
    expect(uploads.begin('fed/d1', { ...header, totalBytes: 10 })).toEqual({ ok: true, received: 10, done: true });
    expect(submitted).toHaveLength(1);
  });

  it('refuses an update larger than it buffers per device, chunks without a begin, and malformed messages', () => {
    const uploads = new ChunkedUploads({ maxBytesPerDevice: 8, idleMs: 1_000 });
    const { submit } = recorder();
    expect(uploads.begin('fed/d1', { ...header, totalBytes: 10 })).toEqual({
      ok: false,
      reason: 'an update of 10 bytes exceeds the 8 bytes the coordinator buffers per device',
    });
    expect(uploads.chunk('fed/d1', chunk(0, 4), submit)).toMatchObject({ ok: false, reason: expect.stringContaining('send update:begin first') });
    expect(uploads.begin('fed/d1', { ...header, totalBytes: 'many' })).toMatchObject({ ok: false, reason: expect.stringContaining('update:begin is malformed') });
    expect(uploads.begin('fed/d1', { ...header, totalBytes: 6 })).toMatchObject({ ok: true });
    expect(uploads.chunk('fed/d1', { ...chunk(0, 4), data: new Uint8Array(0) }, submit)).toMatchObject({ ok: false, reason: expect.stringContaining('1 to') });
    expect(uploads.chunk('fed/d1', chunk(2, 2), submit)).toMatchObject({ ok: false, reason: expect.stringContaining('leaves a gap') });
  });

  it('keeps one update per device: a new round replaces the old, and an idle one is dropped', () => {
    let now = 0;
    const uploads = new ChunkedUploads({ maxBytesPerDevice: 100, idleMs: 1_000 }, () => now);
    const { submit } = recorder({ ok: false, reason: 'update for round 3 but round 4 is running' });
    uploads.begin('fed/d1', { ...header, totalBytes: 10 });
    uploads.begin('fed/d2', { ...header, totalBytes: 10 });
    uploads.begin('fed/d1', { ...header, round: 4, totalBytes: 20 });
    expect(uploads.bufferedBytes).toBe(30);
    now = 2_000;
    uploads.begin('fed/d3', { ...header, totalBytes: 5 });
    expect(uploads.bufferedBytes).toBe(5);
    // A refused update's reason comes back with its last chunk, and again on a later begin.
    expect(uploads.chunk('fed/d3', chunk(0, 5), submit)).toEqual({ ok: false, reason: 'update for round 3 but round 4 is running' });
    expect(uploads.begin('fed/d3', { ...header, totalBytes: 5 })).toEqual({ ok: false, reason: 'update for round 3 but round 4 is running' });
  });
});
