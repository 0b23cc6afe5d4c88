// `npm run bench -- aggregate [--clients 1000] [--codec int8|float32|float16|topk] [--seconds 0.5] [--trials 5]`
// The coordinator's side of aggregation, on one core. JSON lines:
//  stage "fold": FedAvgAccumulator.add throughput in GB/s of float32 updates folded in, beside a
//    plain memcpy (TypedArray.set) of the same bytes in the same run (medians of interleaved trials),
//    for mnist-mlp and mnist-cnn sizes.
//  stage "stream": `--clients` uploads of a 1.66M-parameter (mnist-cnn) update arriving one after
//    another, each a fresh buffer decoded, checked for non-finite values and folded, then dropped (as
//    the coordinator does): end-to-end GB/s (float32-equivalent), fold-only GB/s, and process RSS
//    (peak, and before the first upload), which stays O(model) whatever the number of clients.
import { parseArgs } from 'node:util';
import { FedAvgAccumulator } from '../src/aggregation/fedAvgAccumulator.ts';
import { firstNonFinite } from '../src/aggregation/vectorMath.ts';
import type { WeightsCodec } from '../src/codec/codecSpec.ts';
import { decodeWeights, encodeWeights, type WeightsManifest } from '../src/codec/weightsCodec.ts';
import { createRng, gaussian } from '../src/data/random.ts';
import { callsPerSecond } from './callRate.ts';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    codec: { type: 'string', default: 'int8' },
    seconds: { type: 'string', default: '0.5' },
    trials: { type: 'string', default: '5' },
  },
});
const SECONDS = Number(args.seconds);
const TRIALS = Number(args.trials);
const CLIENTS = Number(args.clients);

/** The zoo models' parameter counts (manifests of one tensor each: the codecs never look inside). */
const SIZES = [
  { model: 'mnist-mlp', params: 199_210 },
  { model: 'mnist-cnn', params: 1_663_370 },
];

function manifestFor(params: number): WeightsManifest {
  return [{ name: 'flat', shape: [params], dtype: 'float32' }];
}

function gaussianDelta(params: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: params }, () => gaussian(rng) * 0.01);
}

/** GB/s of `bytes` per call, for SECONDS. */
function gbps(bytes: number, run: () => void): number {
  return (bytes * callsPerSecond(SECONDS, run)) / 1e9;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function codecNamed(name: string): WeightsCodec {
  switch (name) {
    case 'float32':
    case 'float16':
      return { name };
    case 'int8':
      return { name: 'int8', chunkSize: 256 };
    case 'topk':
      return { name: 'topk', fraction: 0.01 };
    default:
      throw new Error(`unknown codec ${name}`);
  }
}

for (const { model, params } of SIZES) {
  const delta = gaussianDelta(params, 1);
  const target = new Float32Array(params);
  const acc = new FedAvgAccumulator(params);
  const fold: number[] = [];
  const memcpy: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    memcpy.push(gbps(params * 4, () => target.set(delta)));
    fold.push(gbps(params * 4, () => acc.add(delta, 600)));
  }
  console.log(
    JSON.stringify({
      stage: 'fold',
      model,
      params,
      clients: acc.updates,
      aggregateGBps: round3(median(fold)),
      memcpyGBps: round3(median(memcpy)),
      rssBytes: process.memoryUsage().rss,
    }),
  );
}

{
  const params = SIZES[1]!.params;
  const manifest = manifestFor(params);
  const codec = codecNamed(args.codec);
  // A few distinct uploads, each copied into a fresh buffer on arrival as a socket would hand it over.
  const uploads = [1, 2, 3, 4].map((seed) => encodeWeights(manifest, gaussianDelta(params, seed), 'delta', codec, { random: createRng(seed) }));
  const target = new Float32Array(params);
  const source = gaussianDelta(params, 9);
  const memcpy = median(Array.from({ length: TRIALS }, () => gbps(params * 4, () => target.set(source))));
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let rssAt100 = 0;
  let foldMs = 0;
  const acc = new FedAvgAccumulator(params);
  const started = performance.now();
  for (let c = 0; c < CLIENTS; c++) {
    const arrived = new Uint8Array(uploads[c % uploads.length]!);
    const decoded = decodeWeights(arrived, manifest);
    if (firstNonFinite(decoded.values) >= 0) throw new Error('a generated update is not finite');
    const foldStart = performance.now();
    acc.add(decoded.values, 100 + (c % 500));
    foldMs += performance.now() - foldStart;
    if (c % 10 === 9) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    if (c === 99) rssAt100 = process.memoryUsage().rss;
  }
  const seconds = (performance.now() - started) / 1000;
  acc.mean();
  console.log(
    JSON.stringify({
      stage: 'stream',
      codec: args.codec,
      params,
      clients: CLIENTS,
      payloadBytes: uploads[0]!.byteLength,
      aggregateGBps: round3((params * 4 * CLIENTS) / 1e9 / seconds),
      foldGBps: round3((params * 4 * CLIENTS) / 1e9 / (foldMs / 1000)),
      memcpyGBps: round3(memcpy),
      rssBytes: rssPeak,
      rssBeforeBytes: rssBefore,
      rssAt100Bytes: rssAt100,
      seconds: round3(seconds),
    }),
  );
}
