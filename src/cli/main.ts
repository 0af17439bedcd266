// Entry point of the `alm-rnn` command: dispatches to a subcommand, prints user errors as one
// line (no stack trace) with exit code 2, and anything unexpected with its stack and code 1.
import { UserInputError } from '../errors.ts';

/** Subcommands, loaded on demand so that `train` does not pay for the others' imports. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  train: { summary: 'train an Elman RNN with the ALM on a data set', load: () => import('./train.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`);
  return ['usage: alm-rnn <command> [options]', '', 'commands:', ...lines, '', 'Run `alm-rnn <command> --help` for its options.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UserInputError(`unknown command "${name}"\n\n${usage()}`);
  return (await command.load()).run(rest);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (err instanceof UserInputError) {
    console.error(`alm-rnn: ${err.message}`);
    process.exitCode = 2;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
}
