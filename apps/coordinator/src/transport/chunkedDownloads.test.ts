import { contentHash, type RoundStartMessage } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { ChunkedDownloads } from './chunkedDownloads.ts';

const model = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
const start = (round: number, weights: Uint8Array<ArrayBuffer> = model): RoundStartMessage => ({
  federationId: 'fed',
  round,
  model: 'mnist-mlp',
  config: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  deadline: 0,
  weights,
});
const request = (offset: number, round = 3, hash = contentHash(model)) => ({ federationId: 'fed', round, hash, offset });

describe('ChunkedDownloads', () => {
  it('sends a model up to the inline limit inside round:start', () => {
    const msg = start(3);
    expect(new ChunkedDownloads({ inlineBytes: 10, chunkBytes: 4 }).announce(msg)).toBe(msg);
    expect(new ChunkedDownloads().announce(start(3, new Uint8Array(800_000)))).toMatchObject({ weights: expect.any(Uint8Array) });
  });

  it('announces a larger model by its descriptor and serves it in slices from any offset', () => {
    const downloads = new ChunkedDownloads({ inlineBytes: 4, chunkBytes: 4 });
    const { weights: _inline, ...rest } = start(3);
    expect(downloads.announce(start(3))).toEqual({ ...rest, download: { totalBytes: 10, hash: contentHash(model), chunkBytes: 4 } });
    expect(downloads.chunk('fed', request(0))).toEqual({ ok: true, data: model.slice(0, 4) });
    expect(downloads.chunk('fed', request(8))).toEqual({ ok: true, data: model.slice(8) });
    // A resumed device asks from an offset that is no chunk boundary.
    expect(downloads.chunk('fed', request(5))).toEqual({ ok: true, data: model.slice(5, 9) });
  });

  it('refuses a malformed request, another federation, a round not served, an unknown model, an offset past the end', () => {
    const downloads = new ChunkedDownloads({ inlineBytes: 4, chunkBytes: 4 });
    expect(downloads.chunk('fed', request(0))).toEqual({ ok: false, reason: 'round 3 is not the round being served (none)' });
    downloads.announce(start(3));
    expect(downloads.chunk('fed', { ...request(0), offset: -1 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^model:chunk is malformed: offset/),
    });
    expect(downloads.chunk('other', request(0))).toEqual({ ok: false, reason: 'this device belongs to federation "other", not "fed"' });
    expect(downloads.chunk('fed', request(0, 2))).toEqual({ ok: false, reason: 'round 2 is not the round being served (round 3)' });
    expect(downloads.chunk('fed', request(0, 3, 'deadbeef'))).toEqual({ ok: false, reason: 'round 3 has no model deadbeef' });
    expect(downloads.chunk('fed', request(10))).toEqual({ ok: false, reason: "offset 10 is past the model's 10 bytes" });
  });

  it("drops a round's models when the next round is announced (O(model) per federation)", () => {
    const downloads = new ChunkedDownloads({ inlineBytes: 4, chunkBytes: 4 });
    downloads.announce(start(3));
    const next = model.map((b) => b * 2);
    downloads.announce(start(4, next));
    expect(downloads.chunk('fed', request(0))).toEqual({ ok: false, reason: 'round 3 is not the round being served (round 4)' });
    expect(downloads.chunk('fed', request(0, 4, contentHash(next)))).toEqual({ ok: true, data: next.slice(0, 4) });
  });

  it("serves a query's model, whatever its size, beside the round's and after the next round is announced", () => {
    const downloads = new ChunkedDownloads({ inlineBytes: 100, chunkBytes: 4 });
    expect(downloads.serveQueryModel('fed', 2, model)).toEqual({ totalBytes: 10, hash: contentHash(model), chunkBytes: 4 });
    downloads.announce(start(5, new Uint8Array(200)));
    expect(downloads.chunk('fed', request(4, 2))).toEqual({ ok: true, data: model.slice(4, 8) });
    expect(downloads.chunk('fed', request(10, 2))).toEqual({ ok: false, reason: "offset 10 is past the model's 10 bytes" });
    expect(downloads.chunk('other', request(0, 2))).toEqual({ ok: false, reason: 'this device belongs to federation "other", not "fed"' });
  });
});
