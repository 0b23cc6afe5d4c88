import { Command } from 'commander';
import { addClientCommand } from './clientCommand.ts';
import { addDataDirCommands } from './dataDirCommand.ts';
import { addFederationCommand } from './federationCommand.ts';
import { addQueryCommand } from './queryCommand.ts';
import { addServeCommand } from './serveCommand.ts';
import { addSimulateCommand } from './simulateCommand.ts';
import { addTokenCommand } from './tokenCommand.ts';

// Not `flock`: on Linux that name is util-linux's file-lock command.
const COMMAND_NAME = 'flockctl';

const program = new Command(COMMAND_NAME)
  .description('Flock: browser-native federated learning, from the command line')
  .option('--verbose', "also print what the libraries underneath say (TensorFlow.js's notes, Dawn's GPU warnings)");
addSimulateCommand(program);
addClientCommand(program);
addServeCommand(program);
addFederationCommand(program);
addQueryCommand(program);
addTokenCommand(program);
addDataDirCommands(program);
await program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`${COMMAND_NAME}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
