import { resolveAdminToken } from './adminToken.ts';
import { parseEnv } from './config.ts';
import { startCoordinator } from './coordinator.ts';

try {
  const env = parseEnv(process.env);
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
} catch (err) {
  console.error(`Flock coordinator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
