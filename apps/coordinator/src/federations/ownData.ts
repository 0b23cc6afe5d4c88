import { maxExamplesPerDeviceOf, type FederationConfig, type HelloMessage } from '@flock/fl-core';

/**
 * Why this federation refuses the hello's data source, or null: a device-data federation needs the
 * device to bring data; a device that brings its own may not declare more examples than the
 * federation's bound, since the count it declares becomes its FedAvg weight.
 */
export function ownDataRefusal(config: FederationConfig, hello: HelloMessage): string | null {
  if (hello.dataSource?.kind === 'own') {
    const max = maxExamplesPerDeviceOf(config);
    const declared = hello.dataSource.numExamples;
    if (declared <= max) return null;
    return `federation ${config.id} counts at most ${max.toLocaleString('en-US')} examples per device (maxExamplesPerDevice); this device declares ${declared.toLocaleString('en-US')}: train on fewer, or ask the operator to raise the bound`;
  }
  if (config.dataset.kind !== 'device') return null;
  return `federation ${config.id} trains on each device's own examples: import them on the device page (or pass --data) before joining`;
}
