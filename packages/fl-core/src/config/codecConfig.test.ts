import { describe, expect, it } from 'vitest';
import { MINIMAL_CONFIG } from '../testing/configFixture.ts';
import { DEFAULT_CODEC, downlinkCodecOf, FederationConfig, roundCodecOf } from './federation.ts';
import { RoundStartMessage } from '../protocol/device.ts';

const newConfig = MINIMAL_CONFIG;

const roundStart = {
  federationId: 'demo',
  round: 1,
  model: 'mnist-mlp',
  config: { epochs: 1, batchSize: 10, learningRate: 0.1 },
  deadline: 0,
  weights: new Uint8Array(4),
};

describe('codec configuration', () => {
  it('gives a new config without codecs int8 up and float16 down', () => {
    const parsed = FederationConfig.parse(newConfig);
    expect(parsed.codec).toEqual(DEFAULT_CODEC);
    expect(roundCodecOf(parsed)).toEqual({ uplink: 'int8' });
    expect(roundCodecOf({})).toEqual({ uplink: 'int8' });
    expect(downlinkCodecOf({})).toBe('float16');
  });

  it('fills in what a partial codec config leaves out and names top-k with its fraction', () => {
    const parsed = FederationConfig.parse({ ...newConfig, codec: { uplink: 'topk', topkFraction: 0.02 } });
    expect(parsed.codec).toEqual({ uplink: 'topk', topkFraction: 0.02, downlink: 'float16' });
    expect(roundCodecOf(parsed)).toEqual({ uplink: 'topk', topkFraction: 0.02 });
    expect(roundCodecOf({ codec: { uplink: 'int8', topkFraction: 0.5, downlink: 'float16' } })).toEqual({ uplink: 'int8' });
  });

  it('refuses an unknown codec and a top-k fraction outside (0, 1]', () => {
    expect(FederationConfig.safeParse({ ...newConfig, codec: { uplink: 'int4' } }).success).toBe(false);
    expect(FederationConfig.safeParse({ ...newConfig, codec: { uplink: 'topk', topkFraction: 0 } }).success).toBe(false);
    expect(FederationConfig.safeParse({ ...newConfig, codec: { downlink: 'int8' } }).success).toBe(false);
  });

  it('accepts a round start with or without a codec (older coordinators send none)', () => {
    expect(RoundStartMessage.parse(roundStart).codec).toBeUndefined();
    expect(RoundStartMessage.parse({ ...roundStart, codec: { uplink: 'int8' } }).codec).toEqual({ uplink: 'int8' });
    expect(RoundStartMessage.safeParse({ ...roundStart, codec: { uplink: 'zip' } }).success).toBe(false);
  });
});
