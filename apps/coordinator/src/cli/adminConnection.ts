import type { Command } from 'commander';
import { CoordinatorClient } from './coordinatorClient.ts';

/** The flags every command that talks to a running coordinator as its admin takes. */
export interface ConnectionFlags {
  url: string;
  adminToken?: string;
  json?: boolean;
}

export function withConnection(command: Command): Command {
  return command
    .option('--url <url>', 'the coordinator', 'http://localhost:3000')
    .option('--admin-token <token>', 'admin token (default: FLOCK_ADMIN_TOKEN)')
    .option('--json', "print the coordinator's JSON answer");
}

export function clientOf(flags: ConnectionFlags): CoordinatorClient {
  const token = flags.adminToken ?? process.env.FLOCK_ADMIN_TOKEN;
  if (!token) throw new Error('an admin token is needed: pass --admin-token or set FLOCK_ADMIN_TOKEN');
  return new CoordinatorClient(flags.url, token);
}
