import { describe, expect, it } from 'vitest';
import { HelloMessage, isUploadedModel, ModelRef, PROTOCOL_VERSION, RoundStartMessage, StatusMessage, UpdateMessage, MAX_UPDATE_BYTES } from './device.ts';
import { FederationConfig } from '../config/federation.ts';

const validUpdate = {
  federationId: 'demo',
  round: 3,
  numExamples: 600,
  metrics: { loss: 0.4, accuracy: 0.9 },
  payload: new Uint8Array([1, 2, 3]),
};

describe('protocol schemas', () => {
  it('accept a well-formed hello and update', () => {
    expect(
      HelloMessage.safeParse({
        protocolVersion: PROTOCOL_VERSION,
        deviceId: 'abcdef123456',
        federationId: 'demo',
        backend: 'webgpu',
        adapter: { vendor: 'google', architecture: 'swiftshader' },
      }).success,
    ).toBe(true);
    expect(UpdateMessage.safeParse(validUpdate).success).toBe(true);
  });

  it('normalise an ArrayBuffer payload (as browsers receive binary) to Uint8Array', () => {
    const parsed = UpdateMessage.parse({ ...validUpdate, payload: new Uint8Array([7, 8]).buffer });
    expect(parsed.payload).toBeInstanceOf(Uint8Array);
    expect([...parsed.payload]).toEqual([7, 8]);
  });

  it.each([
    ['a string', 'garbage'],
    ['null', null],
    ['a number array instead of binary', { ...validUpdate, payload: [1, 2, 3] }],
    ['a NaN loss', { ...validUpdate, metrics: { loss: Number.NaN, accuracy: 0.5 } }],
    ['an infinite loss', { ...validUpdate, metrics: { loss: Number.POSITIVE_INFINITY, accuracy: 0.5 } }],
    ['a fractional round', { ...validUpdate, round: 1.5 }],
    ['zero examples', { ...validUpdate, numExamples: 0 }],
    ['an accuracy above 1', { ...validUpdate, metrics: { loss: 1, accuracy: 2 } }],
    ['a federation id with a slash', { ...validUpdate, federationId: '../etc' }],
  ])('reject an update that is %s', (_, msg) => {
    expect(UpdateMessage.safeParse(msg).success).toBe(false);
  });

  it('reject an oversized update payload with a reason', () => {
    const result = UpdateMessage.safeParse({ ...validUpdate, payload: new Uint8Array(MAX_UPDATE_BYTES + 1) });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/larger than/);
  });

  it('reject a hello with a short device id, an unknown backend or a missing version', () => {
    const hello = { protocolVersion: 1, deviceId: 'abcdef123456', federationId: 'demo', backend: 'webgpu', adapter: null };
    expect(HelloMessage.safeParse({ ...hello, deviceId: 'abc' }).success).toBe(false);
    expect(HelloMessage.safeParse({ ...hello, backend: 'tpu' }).success).toBe(false);
    expect(HelloMessage.safeParse({ ...hello, protocolVersion: undefined }).success).toBe(false);
  });

  it('reject an unknown device state and a round start without binary weights', () => {
    expect(StatusMessage.safeParse({ state: 'sleeping' }).success).toBe(false);
    expect(
      RoundStartMessage.safeParse({
        federationId: 'demo',
        round: 1,
        model: 'mnist-mlp',
        config: { epochs: 1, batchSize: 10, learningRate: 0.1 },
        deadline: 0,
        weights: 'AAAA',
      }).success,
    ).toBe(false);
  });

  it('reject a federation config whose model is not in the zoo', () => {
    const result = FederationConfig.safeParse({ id: 'x', name: 'x', model: 'resnet-152' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain('model');
  });

  it('take a zoo name or an uploaded model id as a federation model, and say what a model is otherwise', () => {
    expect(ModelRef.parse('mnist-cnn-small')).toBe('mnist-cnn-small');
    expect(FederationConfig.shape.model.parse('uploaded-0123456789ab')).toBe('uploaded-0123456789ab');
    expect(isUploadedModel('uploaded-0123456789ab')).toBe(true);
    expect(isUploadedModel('mnist-mlp')).toBe(false);
    for (const bad of ['resnet-152', 'uploaded-XYZ', 'uploaded-0123456789abc', 7]) {
      const result = ModelRef.safeParse(bad);
      expect(result.error?.issues[0]?.message).toBe(
        'a model is a zoo name (mnist-mlp, mnist-cnn, mnist-cnn-small, tabular-mlp) or an uploaded model id (uploaded-0123456789ab)',
      );
    }
  });
});
