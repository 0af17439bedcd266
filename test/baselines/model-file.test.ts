// The model file (src/problem/model-file.ts), which the tfjs export reads.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors.ts';
import { MODEL_FORMAT, modelFromJson, modelToJson } from '../../src/problem/model-file.ts';
import type { Standardization } from '../../src/problem/types.ts';
import { randomWeights } from './helpers.ts';

const w = randomWeights(3, 2, 1, 1, 9);
const std: Standardization = { inputMean: [0, 1], inputStd: [1, 2], targetMean: [5], targetStd: [3] };

describe('model file', () => {
  it('round-trips weights, activation and standardisation through JSON text', () => {
    const json = modelToJson(w, { kind: 'leaky', omega: 0.2 }, std);
    expect(json.format).toBe(MODEL_FORMAT);
    expect(json.W[1][2]).toBe(w.W[1 * 3 + 2]); // W[i][j] is row i, column j
    expect(json.V).toHaveLength(3);
    expect(json.V[0]).toHaveLength(2);
    const back = modelFromJson(JSON.parse(JSON.stringify(json)));
    expect(back.activation).toEqual({ kind: 'leaky', omega: 0.2 });
    expect(back.standardization).toEqual(std);
    for (const k of ['W', 'V', 'b', 'A', 'c'] as const) expect(Array.from(back.weights[k])).toEqual(Array.from(w[k]));
    expect(modelFromJson(modelToJson(w, { kind: 'relu' })).standardization).toBeUndefined();
    expect(modelToJson(w, { kind: 'elu' })).not.toHaveProperty('omega');
  });

  it('names the bad field in a DataError', () => {
    const good = () => JSON.parse(JSON.stringify(modelToJson(w, { kind: 'relu' }, std)));
    const bad = (edit: (o: any) => void) => { const o = good(); edit(o); return () => modelFromJson(o); };
    expect(() => modelFromJson([])).toThrow(DataError);
    expect(bad((o) => { o.format = 'x'; })).toThrow(/"format"/);
    expect(bad((o) => { o.r = 0; })).toThrow(/"r"/);
    expect(bad((o) => { delete o.m; })).toThrow(/"m".*missing/);
    expect(bad((o) => { o.activation = 'tanh'; })).toThrow(/"activation"/);
    expect(bad((o) => { o.activation = 'leaky'; })).toThrow(/"omega"/);
    expect(bad((o) => { o.W.pop(); })).toThrow(/"W"/);
    expect(bad((o) => { o.V[2][1] = 'a'; })).toThrow(/"V\[2\]" entry 1/);
    expect(bad((o) => { o.b = [1]; })).toThrow(/"b"/);
    expect(bad((o) => { o.A[0][0] = null; })).toThrow(/"A\[0\]"/);
    expect(bad((o) => { o.c = 3; })).toThrow(/"c"/);
    expect(bad((o) => { o.standardization.inputStd[1] = 0; })).toThrow(/"standardization.inputStd" entry 1/);
    expect(bad((o) => { o.standardization.targetMean = []; })).toThrow(/"standardization.targetMean"/);
    expect(bad((o) => { o.W[0][0] = 1e400; })).toThrow(DataError); // not finite
    // A repeated name would feed one column of the data to two inputs (predict reported MSE 3.70 for 0.048).
    expect(bad((o) => { o.columns = { inputs: ['temp', 'temp'], targets: ['y'] }; })).toThrow(/^model file: field "columns\.inputs" names the column "temp" twice \(entries 0 and 1\): each input must be a column of its own/);
    expect(bad((o) => { o.columns = { inputs: ['a', 'b'], targets: ['a'] }; })).not.toThrow();
  });
});
