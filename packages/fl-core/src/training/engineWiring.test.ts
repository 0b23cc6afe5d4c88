import { beforeAll, describe, expect, it } from 'vitest';
import type { WiringReport } from './engineWiring.fixture.ts';
import { runOnDawn, type NoAdapter } from './runOnDawn.ts';

describe("a device's rounds on webgpu (Dawn on SwiftShader here)", () => {
  let report: WiringReport | NoAdapter;
  beforeAll(async () => {
    report = await runOnDawn<WiringReport>(new URL('./engineWiring.fixture.ts', import.meta.url));
  }, 120_000);

  const ran = (skip: (reason: string) => void): WiringReport => {
    if ('noAdapter' in report) skip(`no WebGPU adapter for Dawn: ${report.noAdapter}`);
    return report as WiringReport;
  };

  it("train on Flock's WebGPU engine, with progress every epoch", ({ skip }) => {
    for (const round of ran(skip).rounds) {
      expect(round.engine).toEqual({ engine: 'wgsl', backend: 'webgpu' });
      expect(round.progress).toEqual([1, 2]);
    }
  });

  it("give round 1 the tfjs loop's delta (same seed, batch order, momentum and FedProx mu) within 1e-4", ({ skip }) => {
    expect(ran(skip).maxDeltaDifference).toBeLessThan(1e-4);
  });

  it('keep the tensor count and the GPU bytes flat from round to round', ({ skip }) => {
    const { rounds } = ran(skip);
    expect(new Set(rounds.map((r) => r.numTensors)).size).toBe(1);
    expect(new Set(rounds.slice(1).map((r) => r.gpuBytes)).size).toBe(1);
  });

  it('stop when the progress callback throws, with its error', ({ skip }) => {
    expect(ran(skip).stoppedWith).toBe('stopped by the page');
  });

  it('go to the tfjs loop for a model with a layer the engine lacks, saying why', ({ skip }) => {
    const { unsupported } = ran(skip);
    expect(unsupported.engine).toEqual({ engine: 'tfjs', backend: 'webgpu', reason: unsupported.expectedReason });
    expect(Number.isFinite(unsupported.loss)).toBe(true);
  });
});
