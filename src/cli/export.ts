// `alm-rnn export --format tfjs model.json DIR`: writes a trained model file (the one
// `alm-rnn train --out` writes) as a TF.js LayersModel: DIR/model.json + DIR/weights.bin.
import { join } from 'node:path';
import { UserInputError } from '../api/errors.ts';
import { choiceFlag, parseCommandLine, type OptionSpec } from './args.ts';
import { checkPaths } from './output-paths.ts';
import { readModelFile } from './read-model.ts';
import { againHint, listenForStop } from './signals.ts';
import { TFJS_FILES, writeTfjsArtifacts } from './tfjs-files.ts';

const FORMATS = ['tfjs'] as const;

const OPTIONS: OptionSpec = {
  format: { type: 'string' }, 'raw-units': { type: 'boolean' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
};

const HELP = `usage: alm-rnn export --format tfjs MODEL.json DIR [--raw-units] [--force]

Writes the model file MODEL.json (written by \`alm-rnn train --out\`) as a TF.js LayersModel:
DIR/model.json and DIR/weights.bin, a Sequential of SimpleRNN(r, return_sequences) and Dense(m).
Load it with tf.loadLayersModel('file://DIR/model.json') (tfjs-node) or over http, and run it
on a [batch, T, n] tensor from a zero state.

  --format tfjs    the only format so far
  --raw-units      fold the model's standardisation into the weights, so the exported model maps
                   raw inputs to raw targets (default: it works in the standardised units it was
                   trained in; the standardisation is stored in userDefinedMetadata)
  --force          replace DIR/model.json or DIR/weights.bin when they are not an earlier
                   export of alm-rnn (without it they are refused; MODEL itself never is)

A model with a leaky-ReLU activation cannot be exported: TF.js's SimpleRNN has no such activation.
Ctrl-C, SIGTERM or SIGHUP lets model.json and weights.bin be written as a pair first (a second one
quits at once); the exit code is then 128 + the signal's number (130, 143, 129).
`;

/** Runs the export command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const format = choiceFlag(values, 'format', FORMATS);
  if (format === undefined) throw new UserInputError(`--format is required (one of ${FORMATS.join(', ')}); see --help`);
  if (positionals.length !== 2) {
    throw new UserInputError(`expected a model file and an output folder (alm-rnn export --format ${format} MODEL.json DIR), got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
  }
  const [modelPath, dir] = positionals;
  checkPaths({
    reads: [{ flag: 'MODEL', path: modelPath }],
    writes: [
      { flag: 'DIR', path: join(dir, TFJS_FILES.model), kind: 'tfjs-model', inFolder: true },
      { flag: 'DIR', path: join(dir, TFJS_FILES.weights), kind: 'tfjs-weights', inFolder: true },
    ],
    folders: [{ flag: 'DIR', path: dir }],
    force: values.force === true,
  });
  // A signal waits for model.json and weights.bin to be written as a pair (src/cli/signals.ts); a second quits at once.
  const stop = listenForStop({ first: (name) => process.stderr.write(`${name}: stopping once model.json and weights.bin are written (${againHint(name)} to quit at once)\n`) });
  const model = readModelFile(modelPath);
  const { modelPath: written, weightsPath } = await writeTfjsArtifacts(model.toTfjs({ rawUnits: values['raw-units'] === true }), dir);
  const { r, n, m } = model.weights;
  console.log(`wrote ${written} and ${weightsPath} (SimpleRNN ${r} units, ${model.activation.kind}, ${n} inputs → Dense ${m}; `
    + `${values['raw-units'] ? 'raw units' : model.standardization ? 'standardised units' : 'units as trained'})`);
  return stop.finish(0);
}
