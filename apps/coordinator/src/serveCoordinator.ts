import { resolveAdminToken } from './adminToken.ts';
import type { CoordinatorEnv } from './config.ts';
import { startCoordinator, type RunningCoordinator } from './coordinator.ts';

/** How long a graceful shutdown may take before the process exits anyway. */
export const SHUTDOWN_BOUND_MS = 10_000;

/**
 * Runs the coordinator until SIGINT or SIGTERM (`npm start`'s server and `flockctl serve`). A signal
 * starts a graceful shutdown: devices are told and their messages refused for now, background work
 * (round closes, event log writes) finishes and the database closes; past SHUTDOWN_BOUND_MS it exits anyway.
 */
export async function serveCoordinator(env: CoordinatorEnv): Promise<RunningCoordinator> {
  const adminToken = await resolveAdminToken(env.dataDir, env.adminToken);
  const coordinator = await startCoordinator({ ...env, adminToken });
  process.stdout.write(`Flock coordinator on ${coordinator.url} — device page /, dashboard /admin\n`);
  const shutdown = (signal: NodeJS.Signals) => {
    process.stdout.write(`${signal}: shutting down (devices are told; at most ${SHUTDOWN_BOUND_MS / 1000} s)…\n`);
    setTimeout(() => {
      console.error(`The coordinator did not finish shutting down within ${SHUTDOWN_BOUND_MS / 1000} s and exits anyway.`);
      process.exit(1);
    }, SHUTDOWN_BOUND_MS).unref();
    coordinator.close().then(
      () => {
        process.stdout.write('The coordinator shut down cleanly.\n');
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`The coordinator failed while shutting down: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return coordinator;
}
