import { describe, expect, it } from 'vitest';
import { engineText, joinPendingText, trainingEngineText } from './engineStatus.ts';

describe('engine status in words', () => {
  it('says which engines are measured and which one now', () => {
    expect(engineText({ phase: 'measuring', backend: 'wasm', candidates: ['webgpu', 'webgl', 'wasm', 'cpu'] })).toBe(
      'Measuring which engine trains fastest on this device (webgpu, webgl, wasm, cpu): now wasm…',
    );
  });

  it('tells a person who joined before the measurement ended that the device connects once it is done', () => {
    const cpu = { engine: 'tfjs' as const, backend: 'cpu', reason: "Flock's WebGPU engine needs WebGPU" };
    expect(joinPendingText({ phase: 'measuring', backend: 'cpu', candidates: ['cpu'] })).toMatch(/^Joined: this device connects to the federation as soon as/);
    expect(joinPendingText({ phase: 'ready', choice: { backend: 'cpu', adapter: null, reason: 'asked for with ?backend=cpu', engine: cpu } })).toBeNull();
    expect(joinPendingText({ phase: 'failed', reason: 'no engine' })).toMatch(/try another browser\.$/);
  });

  it("says whether Flock's WebGPU engine trains, and why TensorFlow.js does when it does not", () => {
    expect(trainingEngineText({ engine: 'wgsl', backend: 'webgpu' })).toBe("Training on Flock's WebGPU engine.");
    expect(trainingEngineText({ engine: 'tfjs', backend: 'webgl', reason: "Flock's WebGPU engine needs WebGPU" })).toBe(
      "Training with TensorFlow.js on webgl: Flock's WebGPU engine needs WebGPU.",
    );
    expect(trainingEngineText({ engine: 'tfjs', backend: 'webgpu', reason: 'LSTM layers train on the tfjs loop for now.' })).toBe(
      'Training with TensorFlow.js on webgpu: LSTM layers train on the tfjs loop for now.',
    );
  });
});
