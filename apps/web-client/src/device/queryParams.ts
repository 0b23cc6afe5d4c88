import { FederationId } from '@flock/fl-core/protocol';
import { CLIENT_BACKENDS, type ClientBackend } from '../worker/workerMessages.ts';

export interface DeviceOptions {
  federationId: string;
  /** `?backend=` forces one backend (the worker still falls back, and says why, if it fails). */
  backend?: ClientBackend;
  autojoin: boolean;
  /** `?token=`: the enrollment token an enrollment-only federation's join link carries. */
  enrollmentToken?: string;
}

export const DEFAULT_FEDERATION = 'demo';

export function federationFromQuery(search: string): string {
  const raw = new URLSearchParams(search).get('federation');
  return raw && FederationId.safeParse(raw).success ? raw : DEFAULT_FEDERATION;
}

export function deviceOptionsFromQuery(search: string): DeviceOptions {
  const params = new URLSearchParams(search);
  const backend = params.get('backend');
  const forced = CLIENT_BACKENDS.find((b) => b === backend);
  return {
    federationId: federationFromQuery(search),
    ...(forced ? { backend: forced } : {}),
    autojoin: params.get('autojoin') === '1',
    ...(params.get('token') ? { enrollmentToken: params.get('token')! } : {}),
  };
}
