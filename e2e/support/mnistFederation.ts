import type { FederationConfig } from '@flock/fl-core';
import { testFederationConfig } from '@flock/fl-core/testing';
import { expect, type APIRequestContext } from '@playwright/test';
import { adminHeaders } from './coordinator.ts';

/** A synchronous MNIST federation of `mnist-mlp` for one spec; `overrides` replace whole top-level fields. */
export async function createMnistFederation(request: APIRequestContext, id: string, overrides: Partial<FederationConfig> = {}): Promise<void> {
  const created = await request.post('/api/federations', {
    headers: adminHeaders,
    data: testFederationConfig({
      id,
      dataset: { kind: 'mnist', partition: 'iid', examplesPerDevice: 200, numDevices: 1, seed: 5 },
      training: { epochs: 1, batchSize: 10, learningRate: 0.05 },
      maxRounds: 3,
      deadline: { mode: 'fixed', ms: 300_000 },
      modelSeed: 5,
      ...overrides,
    }),
  });
  expect(created.status(), await created.text()).toBe(201);
}

/** Presses one of the operator's buttons through the REST API, failing the test with the coordinator's reason. */
export async function operateFederation(request: APIRequestContext, id: string, action: 'start' | 'pause' | 'resume' | 'stop'): Promise<void> {
  const res = await request.post(`/api/federations/${id}/${action}`, { headers: adminHeaders, data: {} });
  expect(res.ok(), await res.text()).toBe(true);
}
