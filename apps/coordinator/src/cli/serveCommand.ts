import type { Command } from 'commander';
import { parseEnv } from '../config.ts';
import { serveCoordinator } from '../serveCoordinator.ts';

interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
}

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description(
      'run the coordinator (pages, REST API, Socket.IO on one port), as npm start does; other settings come from the environment (README, Configuration)',
    )
    .option('--port <n>', 'port to listen on (PORT, default 3000; 0 picks a free one)')
    .option('--host <address>', 'interface to listen on (HOST, default 0.0.0.0)')
    .option('--data-dir <path>', 'database and admin token (FLOCK_DATA_DIR, default ./data)')
    .action(async (flags: ServeFlags) => {
      // Flags override the environment and are validated by the same rules.
      const env = parseEnv({
        ...process.env,
        ...(flags.port === undefined ? {} : { PORT: flags.port }),
        ...(flags.host === undefined ? {} : { HOST: flags.host }),
        ...(flags.dataDir === undefined ? {} : { FLOCK_DATA_DIR: flags.dataDir }),
      });
      await serveCoordinator(env);
    });
}
