import { applyModelDelta, decodeWeights, onDownlinkGrid, type WeightsManifest } from '@flock/fl-core';
import { describe, expect, it } from 'vitest';
import { DownlinkModels } from './downlinkModels.ts';

const N = 4096;
const manifest: WeightsManifest = [{ name: 'w', shape: [N], dtype: 'float32' }];
const globalAt = (round: number) => Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.37) * 0.2 + round * 1e-3 * Math.cos(i * 1.3 + round));

describe('DownlinkModels', () => {
  it('sends a device holding the previous model only the int8 delta, and both routes hold the same model', () => {
    const downlink = new DownlinkModels(manifest, 'float16', true);
    const [first] = downlink.payloadsFor(1, globalAt(1), ['a', 'b']);
    expect(first!.deviceIds).toEqual(['a', 'b']);
    expect(first!.payload.modelBase).toBeUndefined();
    let heldByA = decodeWeights(first!.payload.weights, manifest).values;
    expect(heldByA).toEqual(onDownlinkGrid(globalAt(1), 'float16'));

    let fullBytes = 0;
    let deltaBytes = 0;
    for (let round = 2; round <= 6; round++) {
      downlink.deviceTrained('a', round - 1); // a trains every round; b reloaded and holds nothing
      downlink.deviceHello('b', undefined);
      const groups = downlink.payloadsFor(round, globalAt(round), ['a', 'b']);
      const full = groups.find((g) => !g.payload.modelBase)!;
      const delta = groups.find((g) => g.payload.modelBase)!;
      expect(full.deviceIds).toEqual(['b']);
      expect(delta.deviceIds).toEqual(['a']);
      expect(delta.payload.modelBase).toEqual({ round: round - 1, precision: 'float16' });
      heldByA = applyModelDelta(heldByA, delta.payload.weights, manifest, 'float16');
      const heldByB = decodeWeights(full.payload.weights, manifest).values;
      // Bit for bit: the next delta is taken against exactly what every device holds.
      expect(heldByA).toEqual(heldByB);
      // Within an int8 step of the delta and a float16 rounding, and no drift across rounds.
      const g = globalAt(round);
      for (let i = 0; i < N; i += 97) expect(Math.abs(heldByA[i]! - g[i]!)).toBeLessThan(2e-4);
      fullBytes += full.payload.weights.byteLength;
      deltaBytes += delta.payload.weights.byteLength;
    }
    console.log(
      `downlink per device: float16 model ${fullBytes / 5} B, int8 delta ${deltaBytes / 5} B (${((1 - deltaBytes / fullBytes) * 100).toFixed(1)}% saved)`,
    );
    expect(deltaBytes / fullBytes).toBeLessThan(0.52);
  });

  it('sends full models only when deltas are off, or to a device that holds an older model', () => {
    const off = new DownlinkModels(manifest, 'float32', false);
    off.payloadsFor(1, globalAt(1), ['a']);
    off.deviceTrained('a', 1);
    expect(off.payloadsFor(2, globalAt(2), ['a']).map((g) => g.payload.modelBase)).toEqual([undefined]);
    const on = new DownlinkModels(manifest, 'float32', true);
    on.payloadsFor(1, globalAt(1), ['a']);
    on.payloadsFor(2, globalAt(2), ['a']);
    on.deviceTrained('a', 1);
    expect(on.payloadsFor(3, globalAt(3), ['a']).map((g) => g.payload.modelBase)).toEqual([undefined]);
  });
});
