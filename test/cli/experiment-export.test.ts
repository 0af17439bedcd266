// `alm-rnn export --format tfjs model.json DIR` (registered beside `experiment`): the written
// LayersModel loads in TF.js and predicts what our forward pass does; bad model files and bad
// arguments give one clear line and exit code 2.
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { modelToJson } from '../../src/problem/model-file.ts';
import { forward } from '../../src/problem/model.ts';
import { Rng } from '../../src/problem/rng.ts';

const BIN = fileURLToPath(new URL('../../bin/alm-rnn.mjs', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'alm-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [r, n, m, T] = [5, 3, 2, 7];
const weights = initializeWeights('glorot', r, n, m, new Rng(3));
weights.b.set([0.1, -0.2, 0.05, 0.3, 0]);
weights.c.set([0.4, -0.1]);
const modelPath = join(dir, 'model-file.json');
writeFileSync(modelPath, JSON.stringify(modelToJson(weights, { kind: 'relu' })));

describe('alm-rnn export', () => {
  it('writes a TF.js LayersModel that predicts what the forward pass does', async () => {
    const out = join(dir, 'tfjs');
    const res = await cli(['export', '--format', 'tfjs', modelPath, out]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`wrote ${join(out, 'model.json')} and ${join(out, 'weights.bin')}`);
    const modelJson = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    const bin = readFileSync(join(out, 'weights.bin'));
    expect(bin.byteLength).toBe(4 * (n * r + r * r + r + r * m + m));
    const model = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    const x = new Rng(9).fillUniform(new Float64Array(T * n), -1, 1);
    const ours = forward(weights, { kind: 'relu' }, x, T).yHat;
    const theirs = (model.predict(tf.tensor3d(Array.from(x), [1, T, n])) as tf.Tensor).dataSync();
    for (let i = 0; i < T * m; i++) expect(theirs[i]).toBeCloseTo(ours[i], 5);
  });

  it('explains a bad model file or bad arguments in one line, exit code 2', async () => {
    const notJson = join(dir, 'not.json');
    writeFileSync(notJson, '{ "format": ');
    const res = await cli(['export', '--format', 'tfjs', notJson, join(dir, 'x')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^alm-rnn: .*not\.json is not a model file: not valid JSON/);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [(p: string) => ['--format', 'tfjs', p], /expected a model file and an output folder .* got 1 argument$/],
    [(p: string) => [p, 'OUT'], /--format is required \(one of tfjs\)/],
    [(p: string) => ['--format', 'onnx', p, 'OUT'], /--format must be one of tfjs, got "onnx"/],
    [() => ['--format', 'tfjs', 'DIR/missing.json', 'OUT'], /file not found: .*missing\.json/],
    [() => ['--format', 'tfjs', 'DIR/no-A.json', 'OUT'], /no-A\.json: model file: field "A" must be a 2×5 array of rows/],
    [() => ['--format', 'tfjs', 'DIR/wrong-format.json', 'OUT'], /field "format" must be "alm-rnn\/elman@1"/],
    [() => ['--format', 'tfjs', 'DIR/leaky.json', 'OUT'], /no leaky-ReLU activation/],
    [() => ['--format', 'tfjs', '--raw-units', 'DIR/model-file.json', 'OUT'], /rawUnits needs a model file with a "standardization" field/],
    [(p: string) => ['--format', 'tfjs', p, p], /DIR .*model-file\.json: cannot write there, it is a file, not a folder/],
    [(p: string) => ['--format', 'tfjs', p, '/proc/alm-rnn-out'], /DIR \/proc\/alm-rnn-out: cannot write there, its parent \/proc is not writable/],
  ])('rejects bad input %#', async (argsOf, message) => {
    const { run } = await import('../../src/cli/export.ts');
    const good = modelToJson(weights, { kind: 'relu' });
    const { A: _A, ...noA } = good;
    writeFileSync(join(dir, 'no-A.json'), JSON.stringify(noA));
    writeFileSync(join(dir, 'wrong-format.json'), JSON.stringify({ ...good, format: 'keras' }));
    writeFileSync(join(dir, 'leaky.json'), JSON.stringify(modelToJson(weights, { kind: 'leaky', omega: 0.1 })));
    const argv = argsOf(modelPath).map((a) => a.replace(/^DIR/, dir).replace(/^OUT$/, join(dir, 'out-bad')));
    await expect(run(argv)).rejects.toThrow(message);
    await expect(run(argv)).rejects.toBeInstanceOf(UserInputError);
  });

  it('--raw-units folds the standardisation into the weights', async () => {
    const { run } = await import('../../src/cli/export.ts');
    const std = { inputMean: [1, 2, 3], inputStd: [2, 2, 2], targetMean: [10, -10], targetStd: [3, 4] };
    const p = join(dir, 'standardized.json');
    writeFileSync(p, JSON.stringify(modelToJson(weights, { kind: 'relu' }, std)));
    const out = join(dir, 'raw');
    expect(await run(['--format', 'tfjs', '--raw-units', p, out])).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).userDefinedMetadata.almRnn;
    expect(meta.units).toBe('raw');
  });
});
