import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, ParameterError, UserInputError } from '../../src/errors.ts';
import { loadDatasetOrFile } from '../../src/problem/csv-file.ts';
import {
  DATASET_NAMES,
  DATASETS,
  isDatasetName,
  loadDataset,
  loadDatasetFromCsvText,
} from '../../src/problem/datasets.ts';
import { columnStats } from '../../src/problem/standardize.ts';
import type { Series } from '../../src/problem/types.ts';

/** Solves G B = R for B (k×k system, k×m right-hand sides) by Gaussian elimination with partial pivoting. */
function solve(G: number[][], R: number[][]): number[][] {
  const k = G.length;
  const M = G.map((row, i) => [...row, ...R[i]]);
  const w = M[0].length;
  for (let col = 0; col < k; col++) {
    let p = col;
    for (let i = col + 1; i < k; i++) if (Math.abs(M[i][col]) > Math.abs(M[p][col])) p = i;
    [M[col], M[p]] = [M[p], M[col]];
    for (let i = col + 1; i < k; i++) {
      const f = M[i][col] / M[col][col];
      for (let j = col; j < w; j++) M[i][j] -= f * M[col][j];
    }
  }
  const B = Array.from({ length: k }, () => new Array<number>(w - k).fill(0));
  for (let i = k - 1; i >= 0; i--) {
    for (let q = 0; q < w - k; q++) {
      let s = M[i][k + q];
      for (let j = i + 1; j < k; j++) s -= M[i][j] * B[j][q];
      B[i][q] = s / M[i][i];
    }
  }
  return B;
}

/** TrainErr/TestErr of least squares of y_t on [x_t, 1] (no recurrence), fitted on the first T1 steps. */
function olsErrors(s: Series, T1: number): { trainErr: number; testErr: number } {
  const k = s.n + 1;
  const row = (t: number): number[] => [...s.x.subarray(t * s.n, (t + 1) * s.n), 1];
  const G = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const R = Array.from({ length: k }, () => new Array<number>(s.m).fill(0));
  for (let t = 0; t < T1; t++) {
    const p = row(t);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) G[i][j] += p[i] * p[j];
      for (let q = 0; q < s.m; q++) R[i][q] += p[i] * s.y[t * s.m + q];
    }
  }
  const B = solve(G, R);
  let train = 0;
  let test = 0;
  for (let t = 0; t < s.T; t++) {
    const p = row(t);
    for (let q = 0; q < s.m; q++) {
      let yHat = 0;
      for (let i = 0; i < k; i++) yHat += p[i] * B[i][q];
      const d = s.y[t * s.m + q] - yHat;
      if (t < T1) train += d * d;
      else test += d * d;
    }
  }
  return { trainErr: train / T1, testErr: test / (s.T - T1) };
}

describe('DATASETS registry', () => {
  it('lists the four data sets with their defaults', () => {
    expect(DATASET_NAMES).toEqual(['synthetic-small', 'synthetic-large', 'sp500', 'welch-goyal']);
    expect(DATASETS['synthetic-small']).toMatchObject({ r: 4, trainFraction: 0.9, tau: 1, standardized: true });
    expect(DATASETS['synthetic-large']).toMatchObject({ r: 100, trainFraction: 0.9, tau: 500, standardized: true });
    expect(DATASETS.sp500).toMatchObject({ r: 20, trainFraction: 0.9, tau: 1, standardized: true });
    expect(DATASETS['welch-goyal']).toMatchObject({ r: 20, trainFraction: 0.9, tau: 1, standardized: false });
    for (const name of DATASET_NAMES) expect(DATASETS[name].description.length).toBeGreaterThan(10);
    expect(isDatasetName('sp500')).toBe(true);
    expect(isDatasetName('sp501')).toBe(false);
  });
});

describe('loadDataset', () => {
  it('synthetic-small: T1 = 9, seeded', () => {
    const a = loadDataset('synthetic-small', { seed: 4, standardize: 'whole' });
    const b = loadDataset('synthetic-small', { seed: 4, standardize: 'whole' });
    expect([a.series.T, a.series.n, a.series.m, a.T1]).toEqual([10, 5, 3, 9]);
    expect([...a.series.y]).toEqual([...b.series.y]);
    expect(a.defaults.r).toBe(4);
    // Inputs stay U(−1, 1): standardisation touches only the outputs of synthetic data.
    expect(a.standardization?.inputStd).toEqual([1, 1, 1, 1, 1]);
    const raw = loadDataset('synthetic-small', { seed: 4, standardize: 'none' });
    expect([...raw.series.x]).toEqual([...a.series.x]);
    expect(raw.standardization).toBeUndefined();
  });

  it('synthetic-large: T1 = 450', () => {
    const d = loadDataset('synthetic-large', { seed: 1, standardize: 'none' });
    expect([d.series.T, d.series.n, d.series.m, d.T1]).toEqual([500, 80, 30, 450]);
    expect(d.defaults.tau).toBe(500);
  });

  it('sp500: n = 11, m = 1, T = 437, target RV_SP500, T1 = 393', () => {
    const d = loadDataset('sp500', { standardize: 'whole' });
    expect([d.series.T, d.series.n, d.series.m, d.T1]).toEqual([437, 11, 1, 393]);
    expect(d.series.targetNames).toEqual(['RV_SP500']);
    expect(d.series.inputNames).toEqual(['DP', 'EP', 'MKT', 'HML', 'SMB', 'STR', 'TB', 'TS', 'DEF', 'INF', 'IP']);
    expect(d.series.labels).toBeUndefined();
    // The file is already standardised: doing it again changes nothing beyond rounding.
    const raw = loadDataset('sp500', { standardize: 'none' });
    for (let i = 0; i < raw.series.x.length; i++) expect(d.series.x[i]).toBeCloseTo(raw.series.x[i], 10);
    expect(raw.series.y[0]).toBe(-1.2186251577720606);
  });

  it('sp500 can take another target (the authors\' script used DP)', () => {
    const d = loadDataset('sp500', { targets: ['DP'], standardize: 'none' });
    expect(d.series.targetNames).toEqual(['DP']);
    expect(d.series.inputNames).toContain('RV_SP500');
    expect(d.series.n).toBe(11);
    expect(() => loadDataset('sp500', { targets: ['RV'], standardize: 'none' })).toThrow(
      /sp500 \(clean_SP500\.csv\): target column "RV" not found; available columns: DP, EP/,
    );
  });

  it('sp500: least squares of y on x matches docs/method.md §6.6 (≈ 0.0065 / 0.028)', () => {
    const d = loadDataset('sp500', { standardize: 'whole' });
    const { trainErr, testErr } = olsErrors(d.series, d.T1);
    expect(trainErr).toBeGreaterThan(0.0065 * 0.8);
    expect(trainErr).toBeLessThan(0.0065 * 1.2);
    expect(testErr).toBeGreaterThan(0.028 * 0.8);
    expect(testErr).toBeLessThan(0.028 * 1.2);
  });

  it('synthetic-large: least squares of y on x is near docs/method.md §6.6 (≈ 7.6 / 11.2; other random draws)', () => {
    const d = loadDataset('synthetic-large', { seed: 1, standardize: 'whole' });
    const { trainErr, testErr } = olsErrors(d.series, d.T1);
    expect(trainErr).toBeGreaterThan(7.6 * 0.8);
    expect(trainErr).toBeLessThan(7.6 * 1.2);
    expect(testErr).toBeGreaterThan(11.2 * 0.8);
    expect(testErr).toBeLessThan(11.2 * 1.2);
  });

  it('welch-goyal: raw file with a date column, target log_rvol, standardised on request', () => {
    const raw = loadDataset('welch-goyal', { standardize: 'none' });
    expect([raw.series.T, raw.series.n, raw.series.m, raw.T1]).toEqual([437, 11, 1, 393]);
    expect(raw.series.targetNames).toEqual(['log_rvol']);
    expect(raw.series.labels?.[0]).toBe('1973-02');
    expect(raw.series.labels?.[436]).toBe('2009-06');
    expect(raw.series.y[0]).toBeCloseTo(-3.336501939719, 12);
    const d = loadDataset('welch-goyal', { standardize: 'whole' });
    const st = columnStats(d.series.y, 1, 0, 437);
    expect(Math.abs(st.mean)).toBeLessThan(1e-12);
    expect(st.std).toBeCloseTo(1, 12);
    expect(d.standardization?.targetMean[0]).toBeCloseTo(-3.2324, 3);
    const tr = loadDataset('welch-goyal', { standardize: 'train' });
    expect(Math.abs(columnStats(tr.series.y, 1, 0, 393).mean)).toBeLessThan(1e-12);
  });

  it('honours a train fraction and rejects a bad one', () => {
    expect(loadDataset('sp500', { standardize: 'none', trainFraction: 0.5 }).T1).toBe(219);
    expect(() => loadDataset('synthetic-small', { standardize: 'none', trainFraction: 0.99 })).toThrow(ParameterError);
  });

  it('rejects an unknown name, listing the available ones', () => {
    expect(() => loadDataset('sp600', { standardize: 'none' })).toThrow(UserInputError);
    expect(() => loadDataset('sp600', { standardize: 'none' })).toThrow(
      'unknown data set "sp600"; available: synthetic-small, synthetic-large, sp500, welch-goyal, or a path ending in .csv',
    );
  });

  it('rejects targets for synthetic data', () => {
    expect(() => loadDataset('synthetic-small', { targets: ['y1'], standardize: 'none' })).toThrow(/only be chosen for CSV/);
  });
});

describe('CSV data sets', () => {
  const text = 'date,a,b,y\n2000-01,1,5,2\n2000-02,2,3,4\n2000-03,3,4,7\n2000-04,4,1,5\n';
  const dir = mkdtempSync(join(tmpdir(), 'alm-ds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loadDatasetFromCsvText splits and standardises with CSV defaults', () => {
    const d = loadDatasetFromCsvText(text, 'my.csv', { standardize: 'whole', trainFraction: 0.75 });
    expect([d.series.T, d.series.n, d.series.m, d.T1]).toEqual([4, 2, 1, 3]);
    expect(d.series.labels).toEqual(['2000-01', '2000-02', '2000-03', '2000-04']);
    // With the default 0.9, four steps leave no test step.
    expect(() => loadDatasetFromCsvText(text, 'my.csv', { standardize: 'none' })).toThrow(/train-fraction = 0.9/);
    expect(d.defaults).toMatchObject({ name: 'my.csv', standardized: false, trainFraction: 0.9 });
    expect(d.standardization?.targetMean[0]).toBe(4.5);
  });

  it('a constant column is reported when standardising', () => {
    const flat = 'a,b,y\n1,2,3\n1,5,6\n1,7,8\n';
    expect(() => loadDatasetFromCsvText(flat, 'flat.csv', { standardize: 'whole', trainFraction: 0.6 })).toThrow(DataError);
    expect(() => loadDatasetFromCsvText(flat, 'flat.csv', { standardize: 'whole', trainFraction: 0.6 })).toThrow(/column "a" is constant/);
    expect(loadDatasetFromCsvText(flat, 'flat.csv', { standardize: 'none', trainFraction: 0.6 }).T1).toBe(2);
  });

  it('loadDatasetOrFile reads a .csv path and a registered name alike', () => {
    const path = join(dir, 'series.csv');
    writeFileSync(path, text);
    const d = loadDatasetOrFile(path, { standardize: 'none', targets: ['y', 'b'], trainFraction: 0.5 });
    expect(d.series.targetNames).toEqual(['y', 'b']);
    expect(d.T1).toBe(2);
    expect(d.defaults.name).toBe(path);
    expect(loadDatasetOrFile('sp500', { standardize: 'none' }).series.T).toBe(437);
    expect(() => loadDatasetOrFile(join(dir, 'nope.csv'), { standardize: 'none' })).toThrow(`file not found: ${join(dir, 'nope.csv')}`);
    writeFileSync(path, `${text}2000-05,x,1,2\n`);
    expect(() => loadDatasetOrFile(path, { standardize: 'none', trainFraction: 0.5 })).toThrow(`${path} line 6, column "a": "x" is not a number`);
  });
});
