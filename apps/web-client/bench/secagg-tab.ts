// `npm run bench -- secagg-tab [--trials 3] [--params 199210,1663370] [--k 5,15,31]`: one SecAgg+ device's time per
// round in a real Chromium tab (keys, shares, masks: WebCrypto's AES-GCM, HKDF and X25519, @noble/ciphers' ChaCha20), the same code
// as `npm run bench -- secagg`'s client stage in Node (packages/fl-core/bench/secaggClientRound.ts, bundled by esbuild).
// JSON lines, medians of `--trials` rounds after a warm-up.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { build } from 'esbuild';
import { findChromium } from '../../../e2e/support/chromium.ts';
import type * as ClientRound from '../../../packages/fl-core/bench/secaggClientRound.ts';

type ClientRoundTimes = ClientRound.ClientRoundTimes;
type MaskRates = Pick<typeof ClientRound, 'maskMegabytesPerSecond' | 'webCryptoAesCtrMegabytesPerSecond'>;

const { values: args } = parseArgs({
  options: { trials: { type: 'string', default: '3' }, params: { type: 'string', default: '199210,1663370' }, k: { type: 'string', default: '5,15,31' } },
});
const list = (text: string) => text.split(',').map(Number);

const bundle = await build({
  entryPoints: [new URL('../../../packages/fl-core/bench/secaggClientRound.ts', import.meta.url).pathname],
  bundle: true,
  format: 'iife',
  globalName: 'secaggBench',
  platform: 'browser',
  write: false,
});
const page = `<!doctype html><script>${bundle.outputFiles[0]!.text}</script>`;
// Served from 127.0.0.1: a secure context, so the tab has WebCrypto's subtle API.
const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
try {
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const round = (params: number, k: number) =>
    tab.evaluate(
      ([p, n]) => (globalThis as unknown as { secaggBench: { clientRound(p: number, k: number): Promise<ClientRoundTimes> } }).secaggBench.clientRound(p, n),
      [params, k] as const,
    );
  const prg = await tab.evaluate(async () => {
    const bench = (globalThis as unknown as { secaggBench: MaskRates }).secaggBench;
    return {
      chacha20MegabytesPerSecond: await bench.maskMegabytesPerSecond(),
      webCryptoAesCtrMegabytesPerSecond: await bench.webCryptoAesCtrMegabytesPerSecond(),
    };
  });
  console.log(JSON.stringify({ stage: 'mask-prg', runtime: `chromium ${browser.version()}`, ...prg }));
  for (const params of list(args.params))
    for (const k of list(args.k)) {
      await round(params, k);
      const trials: ClientRoundTimes[] = [];
      for (let t = 0; t < Number(args.trials); t++) trials.push(await round(params, k));
      const median = (key: 'keysMs' | 'sharesMs' | 'maskMs' | 'totalMs') => trials.map((r) => r[key]).sort((a, b) => a - b)[trials.length >> 1]!;
      console.log(
        JSON.stringify({
          stage: 'client',
          runtime: `chromium ${browser.version()}`,
          loadAverage: Math.round(loadavg()[0]! * 10) / 10,
          params,
          k,
          keysMs: median('keysMs'),
          sharesMs: median('sharesMs'),
          maskMs: median('maskMs'),
          totalMs: median('totalMs'),
          bytesUp: trials[0]!.bytesUp,
          bytesDown: trials[0]!.bytesDown,
        }),
      );
    }
} finally {
  await browser.close();
  server.close();
}
