import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeDataset } from '../data/dataset.ts';
import { encodeModelDelta } from './downlinkDelta.ts';
import { encodeWeights, type WeightsManifest } from './weightsCodec.ts';

/** docs/protocol/binary-formats.md's examples: each ```hex <name> block must be exactly what the encoders give for its inputs. */
const DOC = readFileSync(new URL('../../../../docs/protocol/binary-formats.md', import.meta.url), 'utf8');

function documentedHex(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const [, name, body] of DOC.matchAll(/^```hex (\S+)\n([\s\S]*?)^```$/gm)) {
    const bytes = body!.split('\n').flatMap((line) => line.split('#')[0]!.trim().split(/\s+/).filter(Boolean));
    blocks.set(name!, bytes.join(' '));
  }
  return blocks;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
const W: WeightsManifest = [{ name: 'w', shape: [4], dtype: 'float32' }];
const VALUES = new Float32Array([0.5, -1.25, 0, 3]);
/** The 12-byte header and the 44-byte manifest come first. */
const dataOf = (payload: Uint8Array) => payload.subarray(56);

function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

const sparse = new Float32Array(300);
sparse[0] = 1;
sparse[200] = -2;

const EXAMPLES: Record<string, () => Uint8Array> = {
  'flkw-float32': () => encodeWeights(W, VALUES, 'weights'),
  'flkw-float16-data': () => dataOf(encodeWeights(W, VALUES, 'weights', { name: 'float16' })),
  'flkw-int8-stochastic-data': () => dataOf(encodeWeights(W, VALUES, 'weights', { name: 'int8', chunkSize: 2 }, { random: sequence(0.1, 0.9, 0.5, 0.3) })),
  'flkw-int8-nearest-data': () => dataOf(encodeWeights(W, VALUES, 'weights', { name: 'int8', chunkSize: 2 })),
  'flkw-topk-data': () => dataOf(encodeWeights(W, VALUES, 'weights', { name: 'topk', fraction: 0.5 })),
  'flkw-topk-delta': () => encodeWeights([{ name: 'w', shape: [300], dtype: 'float32' }], sparse, 'delta', { name: 'topk', fraction: 0.01 }),
  'flkw-downlink-delta': () => encodeModelDelta(W, VALUES, new Float32Array([1, -1.25, -0.2, 3.1])),
  flkd: () =>
    encodeDataset({
      count: 2,
      height: 2,
      width: 2,
      channels: 1,
      numClasses: 10,
      labels: new Uint8Array([3, 7]),
      pixels: new Uint8Array([0, 128, 255, 64, 1, 2, 3, 4]),
    }),
};

describe('docs/protocol/binary-formats.md', () => {
  const documented = documentedHex();

  it('has a hex block for every example, and an example for every hex block', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(Object.entries(EXAMPLES))('%s is what the encoder gives', (name, encode) => {
    expect(documented.get(name), `the ${name} block in docs/protocol/binary-formats.md differs from what the encoder gives now`).toBe(hex(encode()));
  });

  it('shows float16, int8 and top-k headers that differ from float32 only in their codec byte', () => {
    const header = (codec: Parameters<typeof encodeWeights>[3]) => hex(encodeWeights(W, VALUES, 'weights', codec).subarray(0, 56));
    const float32 = header({ name: 'float32' }).split(' ');
    for (const [codec, byte] of [
      [{ name: 'float16' }, '01'],
      [{ name: 'int8' }, '02'],
      [{ name: 'topk', fraction: 0.5 }, '03'],
    ] as const) {
      expect(header(codec)).toBe([...float32.slice(0, 5), byte, ...float32.slice(6)].join(' '));
    }
  });
});
