import type { FederationDirectory } from '../federations/federationDirectory.ts';
import type { FederationRuntime } from '../federations/federationRuntime.ts';
import type { CoordinatorStore } from '../storage/store.ts';

/** What the federation routes need from the coordinator. */
export interface ApiDeps {
  federations: ReadonlyMap<string, FederationRuntime>;
  store: CoordinatorStore;
  version: string;
  directory: FederationDirectory;
}
