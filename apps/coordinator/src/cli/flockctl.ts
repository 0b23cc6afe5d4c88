import { Command } from 'commander';
import { addClientCommand } from './clientCommand.ts';
import { addDataDirCommands } from './dataDirCommand.ts';
import { addFederationCommand } from './federationCommand.ts';
import { addServeCommand } from './serveCommand.ts';
import { addSimulateCommand } from './simulateCommand.ts';
import { addTokenCommand } from './tokenCommand.ts';

const program = new Command('flock').description('Flock: browser-native federated learning, from the command line');
addSimulateCommand(program);
addClientCommand(program);
addServeCommand(program);
addFederationCommand(program);
addTokenCommand(program);
addDataDirCommands(program);
await program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`flock: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
