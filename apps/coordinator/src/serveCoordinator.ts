import { resolveAdminToken } from './adminToken.ts';
import type { CoordinatorEnv } from './config.ts';
import { startCoordinator, type RunningCoordinator } from './coordinator.ts';

/** Runs the coordinator until SIGINT or SIGTERM (`npm start`'s server and `flockctl serve`). */
export async function serveCoordinator(env: CoordinatorEnv): Promise<RunningCoordinator> {
  const adminToken = await resolveAdminToken(env.dataDir, env.adminToken);
  const coordinator = await startCoordinator({ ...env, adminToken });
  process.stdout.write(`Flock coordinator on ${coordinator.url} — device page /, dashboard /admin\n`);
  const shutdown = () => {
    coordinator.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return coordinator;
}
