// Statistics, the Table 3 report and the figures, on hand-made results whose numbers are known.
import { describe, expect, it } from 'vitest';
import { errorVsTimeSpec, feasVioSpec, renderPlots } from '../../src/experiments/plots.ts';
import { referenceErrors } from '../../src/experiments/reference.ts';
import { almVerdict, num, pm, renderReport } from '../../src/experiments/report.ts';
import { RESULTS_FORMAT, resultsToJson, checkResults, thinCurve, type ExperimentResults, type RunRecord } from '../../src/experiments/results.ts';
import { prepareExperiment } from '../../src/experiments/runner.ts';
import { bestInitPerMethod, validationChoicePerMethod, cellStats, medianRun, moments } from '../../src/experiments/stats.ts';
import type { Problem } from '../../src/problem/types.ts';
import { checkWellFormedSvg } from './xml.ts';

const FILES = { fig1: 'fig1.svg', fig2: 'fig2.svg' };

function run(method: RunRecord['method'], init: RunRecord['init'], repeat: number, trainErr: number | null, testErr: number | null): RunRecord {
  const curve = [1, 2, 3].map((k) => ({
    step: k, seconds: 0.1 * k, trainErr: trainErr === null ? null : trainErr * (4 - k), testErr: testErr === null ? null : testErr * (4 - k),
    ...(method === 'alm' ? { feasVio: 10 ** -k, gamma: k } : {}),
  }));
  return {
    key: `${method}/${init}/${repeat}`, method, init, repeat, seed: 1 + repeat, trainErr, testErr, seconds: 0.3,
    iterations: 3, stop: trainErr === null ? 'diverged' : 'epochs', curve: [{ step: 0, seconds: 0, trainErr: 9, testErr: 9 }, ...curve],
    ...(method === 'alm' ? {} : { lr: 0.01 }),
  };
}

function results(): ExperimentResults {
  const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick', methods: ['alm', 'gd', 'sgd'], inits: ['he', 'glorot'], repeats: 2 });
  return {
    format: RESULTS_FORMAT, spec, commands: ['alm-rnn experiment --dataset synthetic-small --quick'],
    data: { T: 10, T1: 9, n: 5, m: 3, r: 4, fitSteps: 8, validationSteps: 1 },
    backend: 'cpu', machine: { cpu: 'x', cores: 2, node: 'v20', platform: 'linux-x64' },
    status: 'complete', started: '', updated: '',
    selections: [
      { key: 'gd/he', method: 'gd', init: 'he', lr: 0.01, valErr: 1.5, candidates: [], seconds: 1 },
      { key: 'sgd/glorot', method: 'sgd', init: 'glorot', lr: 0.1, valErr: null, candidates: [], seconds: 1 },
    ],
    runs: [
      run('alm', 'he', 0, 0.1, 1.0), run('alm', 'he', 1, 0.3, 3.0),
      run('alm', 'glorot', 0, 0.2, 5.0), run('alm', 'glorot', 1, 0.2, 7.0),
      run('gd', 'he', 0, 1.0, 2.0), run('gd', 'he', 1, 1.0, 2.0),
      run('gd', 'glorot', 0, 0.05, 4.0), run('gd', 'glorot', 1, 0.05, 4.0),
      run('sgd', 'he', 0, null, null), run('sgd', 'he', 1, 2.0, 8.0),
      run('sgd', 'glorot', 0, 0.5, 9.0),
    ],
  };
}

describe('statistics', () => {
  it('mean and sample standard deviation', () => {
    expect(moments([1, 3])).toEqual({ mean: 2, std: Math.SQRT2, n: 2 });
    expect(moments([5])).toEqual({ mean: 5, std: 0, n: 1 });
    expect(moments([])).toBeNull();
    // An exploded run's error (finite, but its square is not) still has a finite deviation.
    const big = moments([1e188, 3e188])!;
    expect(big.mean).toBe(2e188);
    expect(big.std / (Math.SQRT2 * 1e188)).toBeCloseTo(1, 12);
  });

  it('per cell: diverged runs counted apart; best initialisation by mean TestErr; median run', () => {
    const r = results();
    const cells = cellStats(r);
    const sgdHe = cells.find((c) => c.method === 'sgd' && c.init === 'he')!;
    expect(sgdHe.diverged).toBe(1);
    expect(sgdHe.testErr).toEqual({ mean: 8, std: 0, n: 1 });
    const best = bestInitPerMethod(r, cells);
    expect(best.get('alm')!.init).toBe('he');
    expect(best.get('gd')!.init).toBe('he');
    expect(best.get('sgd')!.init).toBe('glorot'); // the he cell has a diverged run
    expect(medianRun(cells.find((c) => c.method === 'alm' && c.init === 'glorot')!)!.repeat).toBe(0);
  });

  it('an ALM run that broke down counts as diverged, though its kept errors are finite', () => {
    const r = results();
    const i = r.runs.findIndex((x) => x.key === 'alm/he/1');
    r.runs[i] = { ...r.runs[i], trainErr: 1e36, testErr: 1e42, stop: 'failed' };
    const alm = cellStats(r).find((c) => c.method === 'alm' && c.init === 'he')!;
    expect(alm.diverged).toBe(1);
    expect(alm.testErr).toEqual({ mean: 1, std: 0, n: 1 });
    expect(renderReport(r, FILES)).toContain('| ALM | TrainErr | 0.1 (1/2 diverged) |');
  });
});

describe('report', () => {
  it('Table 3 marks the best mean per column and the best overall', () => {
    const text = renderReport(results(), FILES);
    const row = (method: string, measure: string): string => {
      const lines = text.split('\n');
      const i = lines.findIndex((l) => l.startsWith(`| ${method} | TrainErr |`));
      return measure === 'TrainErr' ? lines[i] : lines[i + 1];
    };
    expect(row('ALM', 'TrainErr')).toBe('| ALM | TrainErr | **0.2 ± 0.14** | 0.2 ± 0 |');
    // ALM and GD tie on the He TestErr column (means 2 and 2): both bold, both ★.
    expect(row('ALM', 'TestErr')).toBe('|  | TestErr | **2 ± 1.4** ★ | 6 ± 1.4 |');
    expect(row('GD', 'TrainErr')).toBe('| GD | TrainErr | 1 ± 0 | **0.05 ± 0** ★ |');
    expect(row('GD', 'TestErr')).toBe('|  | TestErr | **2 ± 0** ★ | **4 ± 0** |');
    // One finite run: its value alone, no spread.
    expect(row('SGD', 'TestErr')).toBe('|  | TestErr | 8 (1/2 diverged) | 9 |');
    expect(text).toContain('alm-rnn experiment --dataset synthetic-small --quick');
    expect(text).toContain('| GD | lr 0.01, val 1.5 | — |');
    expect(text).toContain('| SGD | — | lr 0.1, val diverged |');
    expect(text).toContain(`![FeasVio against outer iteration](${FILES.fig1})`);
  });

  it('says whether the ALM beats the best baseline, per initialisation and overall', () => {
    const lines = almVerdict(results());
    expect(lines[0]).toBe('ALM has the lower mean TestErr in 0 of 2 initialisation columns. Best against best: ALM (He) 2 ± 1.4 vs GD (He) 2 ± 0; the best of ALM beats the best initialisation of 1 of 2 baselines.');
    expect(lines).toContain('- Glorot: ALM 6 ± 1.4 vs best baseline GD 4 ± 0: ALM not lower.');
  });

  it('picks each method\'s start by its validation error, never by TestErr, and compares the ALM so chosen', () => {
    const r = results();
    r.selections.push(
      { key: 'alm/he', method: 'alm', init: 'he', tau: 3, valErr: 0.9, candidates: [], seconds: 1 },
      { key: 'alm/glorot', method: 'alm', init: 'glorot', tau: 1, valErr: 0.4, candidates: [], seconds: 1 },
      { key: 'gd/glorot', method: 'gd', init: 'glorot', lr: 0.1, valErr: 2.5, candidates: [], seconds: 1 },
    );
    const chosen = validationChoicePerMethod(r);
    // The ALM's Glorot cell validates best though its TestErr (6) is worse than He's (2).
    expect(chosen.get('alm')!.cell.init).toBe('glorot');
    expect(chosen.get('gd')!.cell.init).toBe('he');
    expect(chosen.has('sgd')).toBe(false); // its only selection diverged
    const text = renderReport(r, FILES);
    expect(text).toContain('| ALM | Glorot | 0.4 | 0.2 ± 0 | 6 ± 1.4 | 2 | τ 1 |');
    expect(text).toContain('| GD | He | 1.5 | 1 ± 0 | 2 ± 0 | 2 | lr 0.01 |');
    expect(almVerdict(r)).toContain('- Chosen on validation (start and hyperparameters): ALM (Glorot) 6 ± 1.4 vs the best baseline so chosen, GD (He) 2 ± 0: ALM not lower, below 0 of 1 baselines.');
  });

  it('a partial experiment says so', () => {
    const r = { ...results(), status: 'stopped' as const };
    expect(renderReport(r, FILES)).toContain('**Status: stopped** — 11 of 12 runs finished');
  });

  it('number formatting', () => {
    expect(num(0.0032154)).toBe('0.003215');
    expect(num(30.14234)).toBe('30.14');
    expect(num(1.4e-5, 2)).toBe('1e-5');
    expect(num(3.6e-5, 2)).toBe('4e-5');
    expect(num(0)).toBe('0');
    expect(pm(null)).toBe('diverged');
  });
});

describe('results file', () => {
  it('round-trips, with Infinity kept as Infinity', () => {
    const r = results();
    expect(r.spec.alm.gammaMax).toBe(Infinity);
    const back = checkResults(JSON.parse(resultsToJson(r)), 'x');
    expect(back.spec.alm.gammaMax).toBe(Infinity);
    expect(back.runs).toEqual(r.runs);
    expect(back.spec).toEqual(r.spec);
  });

  it('thinCurve keeps the ends and at most max points', () => {
    const pts = Array.from({ length: 1001 }, (_, i) => i);
    const t = thinCurve(pts, 60);
    expect(t.length).toBeLessThanOrEqual(60);
    expect(t[0]).toBe(0);
    expect(t[t.length - 1]).toBe(1000);
    expect(thinCurve([1, 2, 3], 60)).toEqual([1, 2, 3]);
  });
});

describe('figures', () => {
  it('Figure 1 draws every ALM run; Figure 2 the median run of each method\'s best initialisation', async () => {
    const r = results();
    const f1 = feasVioSpec(r)! as unknown as { data: { values: { run: string; k: number }[] } };
    expect(new Set(f1.data.values.map((v) => v.run))).toEqual(new Set(['alm/he/0', 'alm/he/1', 'alm/glorot/0', 'alm/glorot/1']));
    expect(f1.data.values.every((v) => v.k >= 1)).toBe(true);
    const f2 = errorVsTimeSpec(r)! as unknown as { data: { values: { method: string; measure: string }[] } };
    expect(new Set(f2.data.values.map((v) => v.method))).toEqual(new Set(['ALM (He)', 'GD (He)', 'SGD (Glorot)']));
    const plots = await renderPlots(r);
    expect(checkWellFormedSvg(plots.fig1!)).toBeGreaterThan(20);
    expect(checkWellFormedSvg(plots.fig2!)).toBeGreaterThan(20);
  });

  it('nothing to draw: no figures', async () => {
    const r = { ...results(), runs: [] };
    expect(feasVioSpec(r)).toBeNull();
    expect(errorVsTimeSpec(r)).toBeNull();
    expect(await renderPlots(r)).toEqual({});
  });

  it('the SVG checker rejects broken markup', () => {
    expect(() => checkWellFormedSvg('<svg><g></svg>')).toThrow(/closes/);
    expect(() => checkWellFormedSvg('<svg><g>')).toThrow();
    expect(() => checkWellFormedSvg('<html></html>')).toThrow(/<svg/);
  });
});

describe('reference predictors', () => {
  it('OLS fits an exactly linear series, the mean predictor scores the variance', () => {
    const T = 30, T1 = 24, n = 2, m = 1;
    const x = new Float64Array(T * n);
    const y = new Float64Array(T * m);
    for (let t = 0; t < T; t++) {
      x[t * n] = Math.sin(t);
      x[t * n + 1] = Math.cos(3 * t);
      y[t] = 2 * x[t * n] - x[t * n + 1] + 0.5;
    }
    const problem: Problem = {
      name: 'linear', T1, r: 3, activation: { kind: 'relu' },
      series: { T, n, m, x, y, inputNames: ['a', 'b'], targetNames: ['y'] },
    };
    const ref = referenceErrors(problem);
    expect(ref.ols.trainErr).toBeLessThan(1e-20);
    expect(ref.ols.testErr).toBeLessThan(1e-20);
    const mean = Array.from(y.subarray(0, T1)).reduce((s, v) => s + v, 0) / T1;
    const variance = Array.from(y.subarray(0, T1)).reduce((s, v) => s + (v - mean) ** 2, 0) / T1;
    expect(ref.mean.trainErr).toBeCloseTo(variance, 12);
  });
});
