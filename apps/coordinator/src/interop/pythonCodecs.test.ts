import {
  applyModelDelta,
  CodecError,
  decodeWeights,
  encodeModelDelta,
  encodeWeights,
  ErrorFeedback,
  MemoryResidualStore,
  residualKey,
  type WeightsCodec,
  type WeightsManifest,
} from '@flock/fl-core';
import { createRng, decodeDataset, encodeDataset, gaussian, seedFromText, type ImageDataset } from '@flock/fl-core/data';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPython } from './python.ts';

// fl-core's codecs against the Python client's (python-client/flock_client/wire), every case in one Python start:
// each side decodes what the other encodes, and the same values with the same random draws give the same bytes.

type Case = Record<string, unknown> & { op: string };
type Result = Record<string, unknown> & { error?: string };

const cases: Case[] = [];
let results: Result[] = [];

/** Queues a case for the Python run; the result is read once beforeAll has run it. */
function ask(c: Case): () => Result {
  const index = cases.push(c) - 1;
  return () => results[index]!;
}

const b64 = (bytes: ArrayBufferView): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const bytesOf = (text: unknown): Uint8Array => new Uint8Array(Buffer.from(text as string, 'base64'));
const floatsOf = (text: unknown): Float32Array => {
  const bytes = bytesOf(text);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

/** Same numbers, -0 apart from 0 and NaN equal to NaN, with the first difference named. */
function expectSameFloats(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const first = actual.findIndex((v, i) => !Object.is(v, expected[i]));
  expect(first === -1 ? null : { index: first, actual: actual[first], expected: expected[first] }).toBeNull();
}

const manifest: WeightsManifest = [
  { name: 'dense/kernel', shape: [40, 20], dtype: 'float32' },
  { name: 'dense/bias', shape: [20], dtype: 'float32' },
  // A name JSON.stringify escapes in every way it can: quote, backslash, control characters, a lone surrogate.
  { name: 'gain "ü😀"\\\t\u0001\ud800', shape: [], dtype: 'float32' },
];
const SIZE = 821;

/** Gaussian values at a spread of scales, with the values codecs treat specially planted among them. */
function sampleValues(seed: number, specials: readonly number[] = []): Float32Array {
  const rng = createRng(seed);
  const values = Float32Array.from({ length: SIZE }, (_, i) => gaussian(rng) * 10 ** ((i % 7) - 4));
  specials.forEach((v, i) => (values[(i * 37 + 5) % SIZE] = v));
  return values;
}

const HALF_EDGES = [0, -0, 65504, 65519.99, 65520, -70000, 1e30, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -14 - 2 ** -25, 1e-10, 0.1, 1 / 3];
const NON_FINITE = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

/** A random source that also records its draws, so Python can be handed the very same numbers. */
function recorded(seed: number): { random: () => number; draws: number[] } {
  const rng = createRng(seed);
  const draws: number[] = [];
  return { random: () => draws[draws.push(rng()) - 1]!, draws };
}

interface CodecCase {
  label: string;
  codec: WeightsCodec;
  values: Float32Array;
  seed?: number;
}

// Ties in magnitude straddle top-k's cut (index order breaks them); NaN is sent, zeros never are.
const ties = Float32Array.from({ length: SIZE }, (_, i) => (i % 3 === 0 ? 0 : i % 2 ? 0.5 : -0.5));
ties[700] = Number.NaN;
ties[10] = 0.75;

const CODEC_CASES: CodecCase[] = [
  { label: 'float32', codec: { name: 'float32' }, values: sampleValues(1, [...HALF_EDGES, ...NON_FINITE]) },
  { label: 'float16', codec: { name: 'float16' }, values: sampleValues(2, [...HALF_EDGES, ...NON_FINITE]) },
  { label: 'int8 to nearest', codec: { name: 'int8' }, values: sampleValues(3, HALF_EDGES) },
  // A chunk whose scale is 1 puts values exactly halfway: JavaScript's Math.round takes them up, not to even.
  {
    label: 'int8 halfway to nearest',
    codec: { name: 'int8', chunkSize: 8 },
    values: Float32Array.from({ length: SIZE }, (_, i) => (i % 8 === 0 ? 127 : (i % 16) - 8.5)),
  },
  { label: 'int8 stochastic', codec: { name: 'int8' }, values: sampleValues(4, HALF_EDGES), seed: 11 },
  // Chunks of 7: one holds NaN, one Infinity, one only zeros (no draws for those three), a short last chunk.
  {
    label: 'int8 stochastic, chunks of 7',
    codec: { name: 'int8', chunkSize: 7 },
    values: withRun(sampleValues(5, [Number.NaN, Number.POSITIVE_INFINITY]), 14, 7, 0),
    seed: 12,
  },
  { label: 'topk 5%', codec: { name: 'topk', fraction: 0.05 }, values: sampleValues(6, [...HALF_EDGES, ...NON_FINITE]) },
  { label: 'topk with ties', codec: { name: 'topk', fraction: 0.1 }, values: ties },
  { label: 'topk of everything', codec: { name: 'topk', fraction: 1 }, values: sampleValues(7, HALF_EDGES) },
  { label: 'topk of mostly zeros', codec: { name: 'topk', fraction: 0.5 }, values: withRun(new Float32Array(SIZE), 300, 5, -2.5) },
];

function withRun(values: Float32Array, start: number, length: number, value: number): Float32Array {
  values.fill(value, start, start + length);
  return values;
}

function pythonOptions(c: CodecCase): Record<string, unknown> {
  return {
    codec: c.codec.name,
    ...(c.codec.name === 'topk' ? { topkFraction: c.codec.fraction } : {}),
    ...(c.codec.name === 'int8' && c.codec.chunkSize ? { int8Chunk: c.codec.chunkSize } : {}),
  };
}

const codecChecks = CODEC_CASES.map((c) => {
  const draws = c.seed === undefined ? undefined : recorded(c.seed);
  const payload = encodeWeights(manifest, c.values, 'delta', c.codec, draws ? { random: draws.random } : {});
  const encode = { op: 'encode', manifest, values: b64(c.values), ...pythonOptions(c) };
  return {
    ...c,
    payload,
    decoded: ask({ op: 'decode', payload: b64(payload) }),
    encoded: ask({ ...encode, ...(c.seed === undefined ? {} : { seed: c.seed }) }),
    encodedWithDraws: draws && ask({ ...encode, draws: b64(Float64Array.from(draws.draws)) }),
  };
});

// Three rounds of top-k with error feedback; Python restarts its client (a new ErrorFeedback on the same file) each round.
const feedbackRounds = [8, 9, 10].map((seed) => sampleValues(seed));
const feedbackSeeds = feedbackRounds.map((_, round) => seedFromText(`fed-1/shard-2/${round + 1}/uplink`));
const feedback = ask({
  op: 'feedback',
  name: 'state',
  federationId: 'fed-1',
  shardId: 'shard-2',
  manifest,
  codec: 'topk',
  topkFraction: 0.02,
  deltas: feedbackRounds.map(b64),
  seeds: feedbackSeeds,
});

const held = sampleValues(13);
const nextGlobal = held.map((v, i) => v + sampleValues(14)[i]! * 0.01);
const downlinkPayload = encodeModelDelta(manifest, held, nextGlobal);
const downlinks = (['float32', 'float16'] as const).map((precision) => ({
  precision,
  result: ask({ op: 'downlink', held: b64(held), payload: b64(downlinkPayload), manifest, precision }),
}));

const drawSeeds = [0, 42, 0xffffffff];
const draws = drawSeeds.map((seed) => ask({ op: 'draws', seed, count: 1000 }));
const seedTexts = ['', 'fed/shard/3/uplink', 'héllo wörld', 'emoji 😀 and ä'];
const seeds = seedTexts.map((text) => ask({ op: 'seed', text }));

// What a fuzzer or an attacker sends: valid payloads with bytes overwritten, cut off or appended.
const CODEC_OF = {
  float32: { name: 'float32' },
  float16: { name: 'float16' },
  int8: { name: 'int8', chunkSize: 8 },
  topk: { name: 'topk', fraction: 0.2 },
} as const;
const small: WeightsManifest = [
  { name: 'w', shape: [6, 5], dtype: 'float32' },
  { name: 'b', shape: [5], dtype: 'float32' },
];
const mutated = fc.sample(
  fc
    .tuple(
      fc.constantFrom(...(Object.keys(CODEC_OF) as (keyof typeof CODEC_OF)[])),
      fc.float32Array({ minLength: 35, maxLength: 35 }),
      fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([codec, values, writes, cut, tail]) => {
      const bytes = encodeWeights(small, values, 'delta', CODEC_OF[codec]);
      const out = new Uint8Array(bytes.length + tail.length);
      out.set(bytes);
      out.set(tail, bytes.length);
      // Most writes land in the data section, where codecs differ; some in the header and manifest.
      for (const { at, byte } of writes) out[at % 3 === 0 ? at % 64 : at % out.length] = byte;
      return cut === undefined ? out : out.subarray(0, cut % (out.length + 1));
    }),
  { seed: 22, numRuns: 600 },
);

/** A header and a manifest, with data after it, for the limits a valid encoder never reaches. */
function handMade(manifestJson: string, data: Uint8Array, header: Partial<Record<4 | 5 | 6, number>> = {}): Uint8Array {
  const json = new TextEncoder().encode(manifestJson);
  const offset = (12 + json.length + 3) & ~3;
  const out = new Uint8Array(offset + data.length);
  out.set([0x46, 0x4c, 0x4b, 0x57, header[4] ?? 1, header[5] ?? 0, header[6] ?? 1, 0]);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(data, offset);
  return out;
}
const handMadePayloads = [
  handMade('[{"name":"huge","shape":[16384,8192],"dtype":"float32"}]', new Uint8Array(0)),
  handMade('[{"name":"wide","shape":[268435456],"dtype":"float32"}]', new Uint8Array(0)),
  handMade('[{"name":"half","shape":[2.5],"dtype":"float32"}]', new Uint8Array(8)),
  handMade('[{"name":"whole","shape":[2.0],"dtype":"float32","extra":true}]', new Uint8Array(8)),
  handMade('[{"name":"b","shape":[2],"dtype":"int32"}]', new Uint8Array(8)),
  handMade('{"name":"b"}', new Uint8Array(0)),
  handMade('[{"name":"b","shape":[2],"dtype":"float32","note":NaN}]', new Uint8Array(8)),
  handMade('\ufeff[{"name":"b","shape":[2],"dtype":"float32"}]', new Uint8Array(8)),
  handMade('[' + '['.repeat(5000) + ']'.repeat(5000) + ']', new Uint8Array(0)),
  handMade('[]', new Uint8Array(0), { 4: 2 }),
  handMade('[]', new Uint8Array(0), { 5: 4 }),
  handMade('[]', new Uint8Array(0), { 6: 2 }),
  // top-k: an index of six bytes, an index past the model, trailing bytes, a count above the model's size.
  handMade('[{"name":"v","shape":[4],"dtype":"float32"}]', new Uint8Array([1, 0, 0, 0, 0, 60, 0x80, 0x80, 0x80, 0x80, 0x80, 0]), { 5: 3 }),
  handMade('[{"name":"v","shape":[4],"dtype":"float32"}]', new Uint8Array([2, 0, 0, 0, 0, 60, 0, 60, 1, 1]), { 5: 3 }),
  handMade('[{"name":"v","shape":[4],"dtype":"float32"}]', new Uint8Array([1, 0, 0, 0, 0, 60, 3, 0]), { 5: 3 }),
  handMade('[{"name":"v","shape":[4],"dtype":"float32"}]', new Uint8Array([5, 0, 0, 0]), { 5: 3 }),
  // int8: a negative scale, a chunk size of 0.
  handMade('[{"name":"v","shape":[2],"dtype":"float32"}]', new Uint8Array([2, 0, 0, 0, 0, 0, 0x80, 0xbf, 1, 1]), { 5: 2 }),
  handMade('[{"name":"v","shape":[2],"dtype":"float32"}]', new Uint8Array([0, 0, 0, 0, 1, 1]), { 5: 2 }),
];
const hostile = [
  ...mutated.map((bytes, i) => ({ bytes, expected: i % 2 ? small : undefined })),
  ...handMadePayloads.map((bytes) => ({ bytes, expected: undefined })),
].map(({ bytes, expected }) => ({ bytes, expected, result: ask({ op: 'decode', payload: b64(bytes), ...(expected ? { expected } : {}) }) }));

const shard: ImageDataset = {
  count: 5,
  height: 4,
  width: 3,
  channels: 2,
  numClasses: 3,
  labels: Uint8Array.from([0, 2, 1, 1, 0]),
  pixels: Uint8Array.from({ length: 5 * 4 * 3 * 2 }, (_, i) => (i * 53) % 256),
};
const shardBytes = encodeDataset(shard);
const shardDecoded = ask({ op: 'dataset-decode', data: b64(shardBytes) });
const shardEncoded = ask({ op: 'dataset-encode', pixels: b64(shard.pixels), labels: b64(shard.labels), shape: [5, 4, 3, 2], numClasses: 3 });
const badShard = Uint8Array.from(shardBytes);
badShard[16 + 2] = 3;
const badShardDecoded = ask({ op: 'dataset-decode', data: b64(badShard) });

beforeAll(async () => {
  const run = await runPython(['python-client/tests/wire_interop.py'], { input: JSON.stringify(cases), timeoutMs: 30_000 });
  if (run.code !== 0) throw new Error(`the Python wire cases failed (exit ${run.code}):\n${run.stderr}`);
  results = JSON.parse(run.stdout.toString('utf8')) as Result[];
});

describe('FLKW codecs, TypeScript and Python', () => {
  describe.each(codecChecks)('$label', (c) => {
    it('Python decodes what TypeScript encodes to the same values', () => {
      const ts = decodeWeights(c.payload, manifest);
      const py = c.decoded();
      expect({ kind: py.kind, codec: py.codec, manifest: py.manifest, carried: py.carried }).toEqual({
        kind: 'delta',
        codec: c.codec.name,
        manifest,
        carried: ts.carried,
      });
      expectSameFloats(floatsOf(py.values), ts.values);
    });

    it('Python encodes the same bytes as TypeScript, from the same draws', () => {
      expect(Buffer.from(bytesOf(c.encoded().payload)).equals(c.payload)).toBe(true);
      if (c.encodedWithDraws) expect(Buffer.from(bytesOf(c.encodedWithDraws().payload)).equals(c.payload)).toBe(true);
    });

    it('TypeScript decodes what Python encodes', () => {
      const decoded = decodeWeights(bytesOf(c.encoded().payload), manifest);
      if (c.codec.name === 'float32') expectSameFloats(decoded.values, c.values);
      expectSameFloats(decoded.values, decodeWeights(c.payload, manifest).values);
    });
  });

  it('top-k with error feedback sends the same payloads round after round, across client restarts', async () => {
    const store = new MemoryResidualStore();
    const key = residualKey('fed-1', 'shard-2');
    const payloads = [];
    for (const [round, delta] of feedbackRounds.entries()) {
      const kept = new ErrorFeedback(SIZE, (await store.load(key)) ?? undefined);
      payloads.push(kept.encode(manifest, delta, { name: 'topk', fraction: 0.02 }, { random: createRng(feedbackSeeds[round]!) }));
      await store.save(key, kept.residual);
    }
    const py = feedback();
    expect(py.payloads).toEqual(payloads.map(b64));
    expectSameFloats(floatsOf(py.residual), (await store.load(key))!);
  });

  it.each(downlinks)('Python applies the coordinator’s int8 model delta onto the $precision grid as a tab does', ({ precision, result }) => {
    expectSameFloats(floatsOf(result().values), applyModelDelta(held, downlinkPayload, manifest, precision));
  });

  it('Python draws the same random numbers and seeds as fl-core', () => {
    drawSeeds.forEach((seed, i) => {
      const rng = createRng(seed);
      const bytes = bytesOf(draws[i]!().draws);
      expect(Array.from(new Float64Array(bytes.buffer, bytes.byteOffset, 1000))).toEqual(Array.from({ length: 1000 }, () => rng()));
    });
    expect(seeds.map((s) => s().seed)).toEqual(seedTexts.map(seedFromText));
  });

  it('Python refuses exactly the payloads TypeScript refuses, and reads the rest alike', () => {
    const disagreements = hostile.flatMap(({ bytes, expected, result }) => {
      let ts: Float32Array | null = null;
      try {
        ts = decodeWeights(bytes, expected).values;
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
      }
      const py = result();
      if (ts === null && py.error !== undefined) return [];
      if (ts !== null && py.error === undefined) {
        const values = floatsOf(py.values);
        if (values.length === ts.length && values.every((v, i) => Object.is(v, ts[i]))) return [];
      }
      return [{ payload: b64(bytes), typescript: ts === null ? 'refused' : 'read', python: py.error ?? 'read' }];
    });
    expect(disagreements).toEqual([]);
  });
});

describe('FLKD shards, TypeScript and Python', () => {
  it('Python reads what TypeScript writes', () => {
    const py = shardDecoded();
    expect({ shape: py.shape, numClasses: py.numClasses, labels: bytesOf(py.labels), pixels: bytesOf(py.pixels) }).toEqual({
      shape: [5, 4, 3, 2],
      numClasses: 3,
      labels: shard.labels,
      pixels: shard.pixels,
    });
  });

  it('Python writes the same bytes, which TypeScript reads', () => {
    const bytes = bytesOf(shardEncoded().data);
    expect(Buffer.from(bytes).equals(shardBytes)).toBe(true);
    expect(decodeDataset(bytes)).toEqual(shard);
  });

  it('Python refuses a label outside the classes, as TypeScript does', () => {
    expect(() => decodeDataset(badShard)).toThrow(CodecError);
    expect(badShardDecoded().error).toBe('dataset holds a label outside its classes');
  });
});
