import { describe, expect, it } from 'vitest';
import type { ImageDataset } from '../data/dataset.ts';
import { createRng } from '../data/random.ts';
import { answerLayout } from './answerLayout.ts';
import { AnswerSum } from './answerSum.ts';
import { deviceAnswer, type DataQuery } from './deviceAnswer.ts';
import type { AnalyticsQueryInput } from './query.ts';
import { parseQuery, type QueryContext } from './queryContext.ts';
import { finishQuery } from './queryResult.ts';
import { decodeSecureSum, encodeForSecureSum, secureSumLevels } from './secureSumEncoding.ts';

const context: QueryContext = { classes: ['a', 'b'], columns: ['x'], labelColumn: 'y', maxExamplesPerDevice: 10_000 };
const rng = createRng(11);
const devices: ImageDataset[] = Array.from({ length: 40 }, () => {
  const n = 1 + Math.floor(rng() * 300);
  const labels = Uint8Array.from({ length: n }, () => (rng() < 0.3 ? 1 : 0));
  const features = Float32Array.from({ length: n }, () => -5 + rng() * 20);
  return { count: n, height: 1, width: 1, channels: 1, numClasses: 2, labels, pixels: new Uint8Array(0), features };
});

function query(body: AnalyticsQueryInput): DataQuery {
  const parsed = parseQuery(body, context);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.query as DataQuery;
}

/** Every device's answer in the clear, and as the sum a secure aggregation would unmask (words added mod 2^32). */
function bothSums(q: DataQuery) {
  const layout = answerLayout(q, context);
  const levels = secureSumLevels(devices.length);
  const plain = new AnswerSum(layout.length);
  const words = new Uint32Array(layout.length);
  for (const device of devices) {
    const answer = deviceAnswer(q, context, device);
    plain.add(answer);
    const encoded = encodeForSecureSum(answer, layout, levels, rng);
    for (let i = 0; i < words.length; i++) words[i] = (words[i]! + encoded[i]!) >>> 0;
  }
  return { layout, levels, plain, secure: decodeSecureSum(words, layout, levels, devices.length) };
}

describe('answers as secure sums', () => {
  it('decode to exactly the plain sum for counts, so the results are the same', () => {
    const q = query({ kind: 'label-histogram' });
    const { plain, secure } = bothSums(q);
    expect([...secure]).toEqual([...plain.sum]);
    expect(finishQuery(q, context, { sum: secure, devices: devices.length })).toEqual(finishQuery(q, context, plain));
  });

  it('decode sums and squares within one level per device of the plain sum, and counts and bins exactly', () => {
    const q = query({ kind: 'column-stats', columns: [{ name: 'x', low: -10, high: 10, bins: 4 }], privacy: { examplesPerDevice: 300 } });
    const { layout, levels, plain, secure } = bothSums(q);
    for (const group of layout.groups) {
      for (let i = group.start; i < group.start + group.length; i++) {
        if (group.integer) expect(secure[i]).toBe(plain.sum[i]);
        else expect(Math.abs(secure[i]! - plain.sum[i]!)).toBeLessThanOrEqual((devices.length * (layout.high[i]! - layout.low[i]!)) / levels);
      }
    }
  });
});
