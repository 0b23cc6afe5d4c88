import { describe, expect, it } from 'vitest';
import { devicePlatformWords } from './devicePlatformWords.ts';

describe('devicePlatformWords', () => {
  it('says the platform a device named', () => {
    expect(devicePlatformWords('tab', 'webgpu')).toBe('Browser tab');
    expect(devicePlatformWords('node', 'cpu')).toBe('Node silo');
    expect(devicePlatformWords('python', 'pytorch')).toBe('Python silo');
  });

  it('places a device that named none by a backend only one platform has, else says it does not know', () => {
    expect(devicePlatformWords(undefined, 'webgl')).toBe('Browser tab');
    expect(devicePlatformWords(undefined, 'numpy')).toBe('Python silo');
    expect(devicePlatformWords(undefined, 'cpu')).toBe('Unknown');
    expect(devicePlatformWords(undefined, null)).toBe('Unknown');
  });
});
