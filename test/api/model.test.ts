// A model's predictions over a CSV table as `alm-rnn predict` writes them: readCsv's report
// carries the date column it set aside, and predictionsToCsv writes it first, then NAME_pred
// and NAME per target, numbers that read back exactly.
import { describe, expect, it } from 'vitest';
import { modelFromWeights, OptionError, predictionsToCsv } from '../../src/index.node.ts';
import { readCsv, type CsvReport } from '../../src/datasets.ts';

/** y_t = 2·a_t + 1: r = 1, a zero recurrence, the hidden unit passing a through (a ≥ 0 under ReLU). */
const model = modelFromWeights({
  r: 1, n: 1, m: 1, W: new Float64Array([0]), V: new Float64Array([1]), b: new Float64Array([0]), A: new Float64Array([2]), c: new Float64Array([1]),
}, 'relu', { inputNames: ['a'], targetNames: ['y'] });

describe('predictionsToCsv', () => {
  it('writes the labels readCsv reported, the predictions and the targets, after the warm-up', () => {
    let report: CsvReport | undefined;
    const table = readCsv('date,a,y\n2020-01,1,3\n2020-02,2,5.5\n2020-03,0.1,1.2\n', {}, (r) => { report = r; });
    expect(report!.labelColumn).toEqual({ name: 'date', kind: 'labels' });
    expect(report!.labels).toEqual(['2020-01', '2020-02', '2020-03']);
    const p = model.predictTable(table, { warmup: 1 });
    const csv = predictionsToCsv(p, { name: 'date', values: report!.labels!.slice(p.warmup) });
    expect(csv).toBe('date,y_pred,y\n2020-02,5,5.5\n2020-03,1.2,1.2\n');
    expect(predictionsToCsv(model.predictTable({ inputs: [[1]], inputNames: ['a'] }))).toBe('y_pred\n3\n');
  });

  it('refuses what predictTable did not make, and too few labels, naming the option', () => {
    const p = model.predictTable({ inputs: [[1], [2]], inputNames: ['a'] });
    expect(() => predictionsToCsv({ ...p, predictions: [1, 2] as unknown as Float64Array })).toThrow(OptionError);
    expect(() => predictionsToCsv(p, { name: 'date', values: ['x'] })).toThrow(/^labels must be \{ name, values \} with a label for each of the 2 steps/);
  });
});
