import { Command } from 'commander';

/** How a flockctl command registers itself, printing through `print`. */
export type AddCommand = (program: Command, print: (line: string) => void) => void;

/** Runs `flockctl <args>` in-process: the command's own code and commander's parsing; resolves to the lines it printed. */
export async function runInProcess(addCommand: AddCommand, args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const program = new Command('flockctl').exitOverride();
  addCommand(program, (line) => lines.push(line));
  await program.parseAsync(['node', 'flockctl', ...args]);
  return lines;
}
