import { readFile } from 'node:fs/promises';
import { FederationConfig, federationConfigProblem, type FederationSummary } from '@flock/fl-core';
import type { Command } from 'commander';
import { clientOf, withConnection, type ConnectionFlags } from './adminConnection.ts';

/** One line a person reads: id, status, round, name. */
export function describeSummary(f: FederationSummary): string {
  const archived = f.archived ? ' [archived]' : '';
  return `${f.config.id}  ${f.status}  round ${f.round}/${f.config.maxRounds}  ${f.config.model} on ${f.config.dataset.kind}  "${f.config.name}"${archived}`;
}

/** `flockctl federation create|start|stop|status`: operator actions against a running coordinator over REST. */
export function addFederationCommand(program: Command, print: (line: string) => void = (line) => console.log(line)): void {
  const federation = program.command('federation').description('create, start, stop and inspect federations on a running coordinator');
  const show = (flags: ConnectionFlags, value: FederationSummary | FederationSummary[], text: string) => print(flags.json ? JSON.stringify(value) : text);

  withConnection(federation.command('create').description('create a federation from a config file (README, Creating a federation)'))
    .requiredOption('--config <file>', 'the federation config, JSON')
    .action(async (flags: ConnectionFlags & { config: string }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(flags.config, 'utf8'));
      } catch (err) {
        throw new Error(`${flags.config}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      const problem = federationConfigProblem(raw, { source: flags.config });
      if (problem) throw new Error(problem);
      const created = await clientOf(flags).createFederation(FederationConfig.parse(raw));
      show(flags, created, `created ${describeSummary(created)}`);
    });

  withConnection(federation.command('start').description('start an idle federation').argument('<id>')).action(async (id: string, flags: ConnectionFlags) => {
    const started = await clientOf(flags).start(id);
    show(flags, started, `started ${describeSummary(started)}`);
  });

  withConnection(federation.command('stop').description('stop a federation for good (its model stays downloadable)').argument('<id>')).action(
    async (id: string, flags: ConnectionFlags) => {
      const stopped = await clientOf(flags).stop(id);
      show(flags, stopped, `stopped ${describeSummary(stopped)}`);
    },
  );

  withConnection(federation.command('status').description('one federation, or all of them').argument('[id]'))
    .option('--archived', 'list archived federations too')
    .action(async (id: string | undefined, flags: ConnectionFlags & { archived?: boolean }) => {
      const client = clientOf(flags);
      if (id === undefined) {
        const all = await client.federations(flags.archived === true);
        show(flags, all, all.length === 0 ? 'no federations' : all.map(describeSummary).join('\n'));
        return;
      }
      const [summary, rounds, devices] = await Promise.all([client.federation(id), client.rounds(id), client.devices(id)]);
      if (flags.json) return print(JSON.stringify({ ...summary, rounds, devices }));
      const last = rounds.at(-1);
      const accuracy = last?.accuracy == null ? 'no evaluated round yet' : `accuracy ${(last.accuracy * 100).toFixed(1)}% after round ${last.round}`;
      print(describeSummary(summary));
      const connected =
        devices.length === 0 ? 'no device has joined yet' : `${devices.filter((d) => d.connected).length} of ${devices.length} devices connected`;
      const updates = summary.selectedThisRound === 0 ? 'no round running' : `${summary.updatesThisRound} of ${summary.selectedThisRound} updates this round`;
      print(`  ${connected}, ${updates}, ${accuracy}`);
    });
}
