// `npm run bench -- secagg [--trials 3] [--params 199210,1663370] [--k 5,15,31] [--devices 10,100,1000] [--dropout 0.1] [--server-params 199210] [--large-server-params 19921]`
// SecAgg+ costs, JSON lines.
//  stage "mask-prg": the rate masks are expanded and added at (ChaCha20, OpenSSL in Node), which they mostly cost, beside
//    WebCrypto's AES-256-CTR keystream rate (the generator before ChaCha20).
//  stage "client": one device's time per round in Node (in a Chromium tab: `npm run bench -- secagg-tab`), split into keys (two X25519 key pairs), shares (Shamir
//    splits, k-1 agreements, HKDF, AES-GCM seals) and mask (opening k-1 shares, quantizing, k-1 pairwise masks plus
//    the self mask from ChaCha20), medians of `--trials` rounds after a warm-up, for each model size and group size k (a round of k devices, so every device is
//    in every group); bytes up and down per device beside plaintext int8 (1 byte per parameter).
//  stage "server": a whole round of n devices in one process with `--dropout` of them dropping after sharing keys;
//    the coordinator's time adding masked vectors into its running sum (ingest) and rebuilding seeds and keys and
//    removing masks (unmask), its running-sum bytes (O(model), whatever n), process RSS. n = 1,000 uses
//    `--large-server-params` so the round (whose devices all run here too) finishes within minutes.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { simulateSecAggRound } from '../src/secagg/simulateRound.ts';
import { BENCH_TAG as tag, clientRound, maskMegabytesPerSecond, ms, randomUpdate, webCryptoAesCtrMegabytesPerSecond } from './secaggClientRound.ts';

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '3' },
    params: { type: 'string', default: '199210,1663370' },
    k: { type: 'string', default: '5,15,31' },
    devices: { type: 'string', default: '10,100,1000' },
    dropout: { type: 'string', default: '0.1' },
    'server-params': { type: 'string', default: '199210' },
    'large-server-params': { type: 'string', default: '19921' },
  },
});
const list = (text: string) => text.split(',').map(Number);

console.log(
  JSON.stringify({
    stage: 'mask-prg',
    runtime: `node ${process.version}`,
    chacha20MegabytesPerSecond: await maskMegabytesPerSecond(),
    webCryptoAesCtrMegabytesPerSecond: await webCryptoAesCtrMegabytesPerSecond(),
  }),
);
for (const params of list(args.params))
  for (const k of list(args.k)) {
    await clientRound(params, k);
    const trials = [];
    for (let t = 0; t < Number(args.trials); t++) trials.push(await clientRound(params, k));
    const median = (key: 'keysMs' | 'sharesMs' | 'maskMs' | 'totalMs') => trials.map((r) => r[key]).sort((a, b) => a - b)[trials.length >> 1]!;
    const result = { ...trials[0]!, keysMs: median('keysMs'), sharesMs: median('sharesMs'), maskMs: median('maskMs'), totalMs: median('totalMs') };
    const plaintextInt8Bytes = params;
    console.log(
      JSON.stringify({
        stage: 'client',
        runtime: `node ${process.version}`,
        loadAverage: Math.round(loadavg()[0]! * 10) / 10,
        params,
        k,
        ...result,
        plaintextInt8Bytes,
        upVsInt8: Math.round((result.bytesUp / plaintextInt8Bytes) * 100) / 100,
      }),
    );
  }

const dropout = Number(args.dropout);
for (const n of list(args.devices)) {
  const params = n >= 1000 ? Number(args['large-server-params']) : Number(args['server-params']);
  const devices = Array.from({ length: n }, (_, i) => ({ deviceId: `device-${String(i).padStart(5, '0')}`, update: randomUpdate(params, i), weight: 100 }));
  const gone = new Set(devices.filter((_, i) => i % Math.round(1 / dropout) === 0).map((d) => d.deviceId));
  const start = performance.now();
  const round = await simulateSecAggRound({ ...tag, clip: 1, maxWeight: 1000, roundSeed: 'bench' }, devices, dropout > 0 ? gone : new Set());
  if (!round.outcome.ok) throw new Error(round.outcome.reason);
  console.log(
    JSON.stringify({
      stage: 'server',
      loadAverage: Math.round(loadavg()[0]! * 10) / 10,
      devices: n,
      params,
      dropped: dropout > 0 ? gone.size : 0,
      ingestMs: Math.round(round.serverMs.ingest),
      unmaskMs: Math.round(round.serverMs.unmask),
      runningSumBytes: round.outcome.value.sum.byteLength,
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
      wholeRoundInProcessS: Math.round(ms(start) / 100) / 10,
      bytesUpPerDevice: Math.round(round.bytesUp / n),
      bytesDownPerDevice: Math.round(round.bytesDown / n),
    }),
  );
}
