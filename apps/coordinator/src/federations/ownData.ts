import type { FederationConfig, HelloMessage } from '@flock/fl-core';

/** Why a device-data federation refuses this hello (it brings no data of its own), or null. */
export function ownDataRefusal(config: FederationConfig, hello: HelloMessage): string | null {
  if (config.dataset.kind !== 'device' || hello.dataSource?.kind === 'own') return null;
  return `federation ${config.id} trains on each device's own examples: import them on the device page (or pass --data) before joining`;
}
