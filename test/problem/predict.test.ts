// predictSeries: a saved model over a new series, by column name or position, in raw units.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.ts';
import { parseCsv } from '../../src/problem/csv.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { forward } from '../../src/problem/model.ts';
import type { ModelFile } from '../../src/problem/model-file.ts';
import { predictionsToCsv, predictSeries } from '../../src/problem/predict.ts';
import { Rng } from '../../src/problem/rng.ts';

const weights = initializeWeights('glorot', 3, 2, 1, new Rng(5));
const std = { inputMean: [1, -1], inputStd: [2, 0.5], targetMean: [10], targetStd: [4] };
const model: ModelFile = { weights, activation: { kind: 'relu' }, standardization: std, columns: { inputs: ['a', 'b'], targets: ['y'] } };
const text = 'date,b,a,y,extra\nd1,1,2,9,0\nd2,-1,0,11,0\nd3,0.5,4,12,0\nd4,2,1,8,0\n';

describe('predictSeries', () => {
  it('finds the columns by name, standardises the inputs and maps predictions back to raw units', () => {
    const p = predictSeries(model, parseCsv(text, { targets: ['extra'] }), 'data.csv');
    const xs = Float64Array.from([2, 1, 0, -1, 4, 0.5, 1, 2].map((v, i) => (v - std.inputMean[i % 2]) / std.inputStd[i % 2]));
    const expected = Array.from(forward(weights, { kind: 'relu' }, xs, 4).yHat, (v) => v * 4 + 10);
    expect(Array.from(p.predictions)).toEqual(expected);
    expect(Array.from(p.targets!)).toEqual([9, 11, 12, 8]);
    const raw = expected.reduce((s, v, t) => s + (([9, 11, 12, 8][t] - v) ** 2) / 4, 0);
    expect(p.errors!.raw).toBeCloseTo(raw, 12);
    expect(p.errors!.standardized).toBeCloseTo(raw / 16, 12);
    expect(predictionsToCsv(p, { name: 'date', values: ['d1', 'd2', 'd3', 'd4'] }).split('\n').slice(0, 2)).toEqual(['date,y_pred,y', `d1,${expected[0]},9`]);
  });

  it('--warmup carries the hidden state through the first rows and predicts the rest', () => {
    const whole = predictSeries(model, parseCsv(text), 'data.csv');
    const warm = predictSeries(model, parseCsv(text), 'data.csv', 2);
    expect(warm.steps).toBe(2);
    expect(Array.from(warm.predictions)).toEqual(Array.from(whole.predictions.slice(2)));
  });

  it('predicts without errors when the targets are absent, and names a missing input', () => {
    const p = predictSeries(model, parseCsv('a,b\n1,2\n3,4\n'), 'new.csv');
    expect(p.errors).toBeUndefined();
    expect(predictionsToCsv(p).split('\n')[0]).toBe('y_pred');
    expect(() => predictSeries(model, parseCsv('a,c\n1,2\n3,4\n'), 'new.csv')).toThrow(DataError);
    expect(() => predictSeries(model, parseCsv('a,c\n1,2\n3,4\n'), 'new.csv')).toThrow(/new\.csv has no column "b" that the model takes as input; its columns: a, c/);
  });

  it('takes the columns in order for a model file without names', () => {
    const unnamed: ModelFile = { weights, activation: { kind: 'relu' } };
    expect(predictSeries(unnamed, parseCsv('p,q,r\n1,2,3\n4,5,6\n'), 'x.csv').errors).toBeDefined();
    expect(predictSeries(unnamed, parseCsv('p,q\n1,2\n4,5\n'), 'x.csv').errors).toBeUndefined();
    expect(() => predictSeries(unnamed, parseCsv('p,q,r,s\n1,2,3,4\n4,5,6,7\n'), 'x.csv')).toThrow(/has 4 numeric columns, but the model .* takes 2 inputs: give 2 columns .* or 3/);
  });
});
