import { parseEnv } from './config.ts';
import { serveCoordinator } from './serveCoordinator.ts';

try {
  await serveCoordinator(parseEnv(process.env));
} catch (err) {
  console.error(`Flock coordinator failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
