import { describe, expect, it } from 'vitest';
import { deviceOptionsFromQuery } from './queryParams.ts';

describe('deviceOptionsFromQuery', () => {
  it.each(['webgpu', 'webgl', 'wasm', 'cpu'] as const)('?backend=%s forces that backend', (backend) => {
    expect(deviceOptionsFromQuery(`?backend=${backend}`).backend).toBe(backend);
  });

  it('ignores a backend it does not know: the chooser measures instead', () => {
    expect(deviceOptionsFromQuery('?backend=metal')).toEqual({ federationId: 'demo', autojoin: false });
  });
});
