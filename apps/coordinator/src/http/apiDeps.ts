import type { FederationDirectory } from '../federations/federationDirectory.ts';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import type { FederationStore } from '../storage/federationStore.ts';

/** What the federation routes need from the coordinator. */
export interface ApiDeps {
  federations: ReadonlyMap<string, FederationRuntime>;
  store: FederationStore;
  version: string;
  directory: FederationDirectory;
}
