import { describe, expect, it } from 'vitest';
import { engineText, joinPendingText } from './engineStatus.ts';

describe('engine status in words', () => {
  it('says which engines are measured and which one now', () => {
    expect(engineText({ phase: 'measuring', backend: 'wasm', candidates: ['webgpu', 'webgl', 'wasm', 'cpu'] })).toBe(
      'Measuring which engine trains fastest on this device (webgpu, webgl, wasm, cpu): now wasm…',
    );
  });

  it('tells a person who joined before the measurement ended that the device connects once it is done', () => {
    expect(joinPendingText({ phase: 'measuring', backend: 'cpu', candidates: ['cpu'] })).toMatch(/^Joined: this device connects to the federation as soon as/);
    expect(joinPendingText({ phase: 'ready', choice: { backend: 'cpu', adapter: null, reason: 'asked for with ?backend=cpu' } })).toBeNull();
    expect(joinPendingText({ phase: 'failed', reason: 'no engine' })).toMatch(/try another browser\.$/);
  });
});
