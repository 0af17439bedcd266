// Entry point of the `alm-rnn` command: dispatches to a subcommand, prints user errors as one
// line (no stack trace) with exit code 2, and anything unexpected with its stack and code 1.
import { readFileSync } from 'node:fs';
import { UserInputError } from '../api/errors.ts';

/** Subcommands, loaded on demand so that `train` does not pay for the others' imports. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  train: { summary: 'train an Elman RNN with the ALM on a data set', load: () => import('./train.ts') },
  experiment: { summary: "compare the ALM with the gradient baselines (the paper's Table 3, Figures 1-2)", load: () => import('./experiment.ts') },
  predict: { summary: 'run a trained model over a (new) series: predictions in raw units, and errors', load: () => import('./predict.ts') },
  export: { summary: 'convert a trained model file, e.g. to a TF.js LayersModel', load: () => import('./export.ts') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`);
  return ['usage: alm-rnn <command> [options]', '', 'commands:', ...lines, '', 'Run `alm-rnn <command> --help` for its options; `alm-rnn --version` prints the version.'].join('\n');
}

/** The version in package.json. */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`alm-rnn ${version()}`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UserInputError(`unknown command "${name}"\n\n${usage()}`);
  return (await command.load()).run(rest);
}

// A closed pipe (`alm-rnn train | head`) ends the command quietly, as for other Unix tools.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
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
