// Forecast the paper's S&P 500 realised volatility with alm-rnn, as a library: load the bundled
// data set, train with progress and a checkpoint file (run it again after Ctrl-C: it resumes),
// report the errors on the held-out test part in raw units, and save the model.
//
//   npm install alm-rnn
//   node forecast.mjs [outer iterations, default 20]
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { train } from 'alm-rnn';
import { loadDataset } from 'alm-rnn/datasets';

const outer = Number(process.argv[2] ?? 20);
const data = loadDataset('sp500');   // inputs, targets, names, and the data set's hidden size, split and τ
const CHECKPOINT = 'forecast.checkpoint.json';

const run = train({
  ...data,
  params: { ...data.params, outer, inner: 50 },
  backend: 'auto',
  log: (line) => console.log(line),
  checkpoint: { save: (json) => writeFile(CHECKPOINT, json), everySeconds: 5 },
  resume: existsSync(CHECKPOINT) ? await readFile(CHECKPOINT, 'utf8') : undefined,
});
process.once('SIGINT', () => run.stop());   // Ctrl-C: stop after the current sweeps, keep the model

for await (const it of run) {
  console.log(`k=${String(it.k).padStart(3)}  FeasVio ${it.feasVio.toExponential(2)}  TrainErr ${it.trainErr.toFixed(4)}  TestErr ${it.testErr.toFixed(4)}`);
}
const result = await run;
if (result.stopReason !== 'stopped') await rm(CHECKPOINT, { force: true });

// The test part in the data's own units: the model undoes the standardisation itself.
const n = data.inputNames.length, m = data.targetNames.length;
const T = data.targets.length / m;
const evaluation = result.model.evaluate(data.inputs, data.targets, { warmup: result.trainSteps });
console.log(`${result.stopReason} after ${result.outerIterations} outer iterations (${result.seconds.toFixed(1)} s):`);
console.log(`  TrainErr ${result.trainErr.toFixed(4)}, TestErr ${result.testErr.toFixed(4)} (standardised units)`);
console.log(`  test MSE ${evaluation.mse.toExponential(3)} in raw units over ${evaluation.steps} of ${T} steps (${n} inputs → ${data.targetNames.join(', ')})`);
await writeFile('sp500-model.json', JSON.stringify(result.model, null, 1));
console.log('model written to sp500-model.json');
