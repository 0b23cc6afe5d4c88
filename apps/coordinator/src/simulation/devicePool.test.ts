import { describe, expect, it } from 'vitest';
import { defaultThreads, WEBGPU_DEFAULT_MAX_THREADS } from './devicePool.ts';

describe('device threads', () => {
  it('default to one per core on cpu, and to one on webgpu (several Dawn devices in one process hung on an H100)', () => {
    expect(defaultThreads('cpu', 16)).toBe(16);
    expect(defaultThreads('webgpu', 16)).toBe(WEBGPU_DEFAULT_MAX_THREADS);
    expect(WEBGPU_DEFAULT_MAX_THREADS).toBe(1);
    expect(defaultThreads('webgpu', 2)).toBe(1);
  });
});
