import { describe, expect, it } from 'vitest';
import { decodeWeights, encodeWeights, type WeightsManifest } from '@flock/fl-core';
import { corruptUpdate } from './byzantine.ts';
import { drawByzantineDevices, drawSlowDevices } from './deviceBehaviour.ts';

const manifest: WeightsManifest = [{ name: 'w', shape: [3], dtype: 'float32' }];

describe('Byzantine devices', () => {
  it('sign-flip or scale their delta tenfold, in the round codec', () => {
    const honest = encodeWeights(manifest, Float32Array.of(1, -2, 0.5), 'delta');
    expect([...decodeWeights(corruptUpdate(honest, 'signflip', undefined)).values]).toEqual([-1, 2, -0.5]);
    const scaled = decodeWeights(corruptUpdate(honest, 'scale10', { uplink: 'float16' }));
    expect(scaled.codec).toBe('float16');
    expect([...scaled.values]).toEqual([10, -20, 5]);
  });

  it('are a seeded draw of exactly that fraction, independent of the slow devices', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `dev-${i}`);
    const byzantine = drawByzantineDevices(ids, 0.2, 1);
    expect(byzantine.size).toBe(2);
    expect(drawByzantineDevices(ids, 0.2, 1)).toEqual(byzantine);
    expect(drawByzantineDevices(ids, 0.5, 1)).not.toEqual(drawSlowDevices(ids, 0.5, 1));
  });
});
