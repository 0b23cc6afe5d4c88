import { isDeepStrictEqual } from 'node:util';
import type { FederationConfig } from '@flock/fl-core';
import type { Logger } from 'pino';
import type { Server } from 'socket.io';
import { FederationRuntime, type ClusterDeps, type RuntimeDeps } from '../federations/federationRuntime.ts';
import type { CoordinatorStore } from '../storage/store.ts';
import { serverSideBus } from './clusterBus.ts';
import type { ClusterMessage } from './clusterMessages.ts';
import { FederationOwnership } from './federationOwnership.ts';

export interface SharedFederationsSetup {
  io: Server;
  coordinatorId: string;
  store: CoordinatorStore;
  federations: Map<string, FederationRuntime>;
  /** The runtimes' dependencies, ready once the coordinator built them (they include `cluster`). */
  runtimeDeps: () => RuntimeDeps;
  /** The devices connected to any coordinator in a federation's room. */
  onlineDevices(federationId: string): Promise<string[]>;
  logger: Logger;
}

export interface SharedFederations {
  cluster: ClusterDeps;
  /** Begins taking and renewing leases. */
  start(): void;
  /** Hands this coordinator's federations to the others at once (their leases end now). */
  stop(): Promise<void>;
}

/**
 * Several coordinators on one database and one Redis serve the same federations: each federation's
 * rounds run on the coordinator holding its lease, every coordinator takes devices and folds their
 * updates, and they tell each other what changed over the Redis adapter.
 */
export function shareFederations(setup: SharedFederationsSetup): SharedFederations {
  const { io, coordinatorId, store, federations, logger } = setup;
  const log = logger.child({ part: 'cluster' });
  const bus = serverSideBus(io, coordinatorId, log);
  const ownership = new FederationOwnership({
    leases: store.leases,
    coordinatorId,
    federations: () => federations.keys(),
    promote: async (federationId, fence, previous) => {
      const runtime = federations.get(federationId);
      if (!runtime) throw new Error(`federation ${federationId} is not loaded here`);
      await runtime.takeOver(fence, previous);
    },
    demote: async (federationId) => {
      await federations.get(federationId)?.handOver();
    },
    logger: log,
  });

  bus.subscribe(async (m: ClusterMessage) => {
    const federationId = m.kind === 'round-opened' ? m.round.federationId : m.federationId;
    const runtime = federations.get(federationId);
    if (m.kind !== 'federation-changed') return runtime?.onClusterMessage(m);
    // Created or edited on another coordinator: read it whole; anything else, its state (from the same read).
    const stored = (await store.federations.list()).find((f) => f.config.id === federationId);
    if (!stored) return;
    if (runtime && sameConfig(stored.config, runtime.config)) return runtime.followStore(stored);
    const loaded = await FederationRuntime.load(stored, setup.runtimeDeps());
    federations.set(federationId, loaded);
    if (runtime) await loaded.continueFrom(runtime);
  });

  return {
    cluster: { bus, onlineDevices: setup.onlineDevices, leaseLost: (federationId) => void ownership.lost(federationId) },
    start: () => ownership.start(),
    stop: () => ownership.stop(),
  };
}

/** The same config whatever order its keys came in (PostgreSQL's jsonb keeps its own) and whether absent fields are undefined or missing. */
function sameConfig(a: FederationConfig, b: FederationConfig): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}
