import { InvalidArgumentError, type Command } from 'commander';
import type { TokenRecord } from '@flock/fl-core';
import { clientOf, withConnection, type ConnectionFlags } from './adminConnection.ts';

interface CreateFlags extends ConnectionFlags {
  role: 'viewer' | 'device';
  federation?: string;
  expires?: string;
  label?: string;
}

function describeToken(t: TokenRecord): string {
  const scope = t.federationId ? ` for ${t.federationId}` : '';
  const label = t.label ? ` "${t.label}"` : '';
  const state = t.revokedAt ? `revoked ${t.revokedAt}` : `expires ${t.expiresAt}`;
  return `${t.id}  ${t.kind}${scope}${label}  ${state}`;
}

/** `flockctl token create|revoke|list`: viewer and enrollment tokens, minted by a running coordinator over REST. */
export function addTokenCommand(program: Command, print: (line: string) => void = (line) => console.log(line)): void {
  const token = program.command('token').description('mint, list and revoke viewer and enrollment tokens on a running coordinator');

  withConnection(token.command('create').description('mint a token: viewer (read-only dashboard) or device (enrollment for one federation)'))
    .requiredOption('--role <role>', 'viewer or device', (raw: string) => {
      if (raw !== 'viewer' && raw !== 'device') throw new InvalidArgumentError('expected viewer or device');
      return raw;
    })
    .option('--federation <id>', 'the federation a device (enrollment) token joins')
    .option('--expires <lifetime>', 'lifetime: 90s, 30m, 12h, 7d (default: 30d viewer, 7d device)')
    .option('--label <text>', 'who or what it is for, shown in the token list')
    .action(async (flags: CreateFlags) => {
      if (flags.role === 'device' && !flags.federation) throw new Error('a device token joins one federation: pass --federation <id>');
      if (flags.role === 'viewer' && flags.federation) throw new Error('a viewer token is not tied to a federation: drop --federation');
      const scope = flags.role === 'device' ? { role: 'device' as const, federationId: flags.federation! } : { role: 'viewer' as const };
      const minted = await clientOf(flags).createToken({
        ...scope,
        ...(flags.expires ? { expiresIn: flags.expires } : {}),
        ...(flags.label ? { label: flags.label } : {}),
      });
      if (flags.json) return print(JSON.stringify(minted));
      print(describeToken(minted));
      print(minted.token);
      if (minted.federationId) print(`join link: ${new URL(`/?federation=${minted.federationId}&token=${minted.token}`, flags.url).href}`);
    });

  withConnection(token.command('revoke').description('revoke a token by its id (from create or list)').argument('<id>')).action(
    async (id: string, flags: ConnectionFlags) => {
      const revoked = await clientOf(flags).revokeToken(id);
      print(flags.json ? JSON.stringify(revoked) : `revoked ${describeToken(revoked)}`);
    },
  );

  withConnection(token.command('list').description('viewer and enrollment tokens, newest first'))
    .option('--federation <id>', "only this federation's enrollment tokens")
    .action(async (flags: ConnectionFlags & { federation?: string }) => {
      const all = await clientOf(flags).tokens(flags.federation);
      print(flags.json ? JSON.stringify(all) : all.length === 0 ? 'no tokens' : all.map(describeToken).join('\n'));
    });
}
