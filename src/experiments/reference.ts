// Two reference predictors that need no RNN, for reading an experiment's errors: the training
// mean (a constant), and ordinary least squares of y_t on x_t with an intercept (no recurrence).
// docs/method.md §6.6 quotes both for sp500 and synthetic-large.
import type { Problem } from '../problem/types.ts';

/** TrainErr and TestErr of one reference predictor. */
export interface ReferenceErrors {
  /** Mean over the training part's steps of ||y_t − ŷ_t||², TrainErr's formula. */
  trainErr: number;
  /** The same over the test part, TestErr's formula (NaN when there is no test part). */
  testErr: number;
}

/** The errors of the constant (training mean) and OLS predictors on a problem's split. */
export function referenceErrors(problem: Problem): { mean: ReferenceErrors; ols: ReferenceErrors } {
  const { series, T1 } = problem;
  const { T, n, m, x, y } = series;
  const yMean = new Float64Array(m);
  for (let t = 0; t < T1; t++) for (let k = 0; k < m; k++) yMean[k] += y[t * m + k] / T1;

  // OLS: minimise Σ_t ||y_t − B x_t − c||² over the training part, by the normal equations on
  // [x_t; 1] (a relative ridge of 1e−12 keeps them solvable when T1 ≤ n).
  const p = n + 1;
  const G = new Float64Array(p * p);
  const R = new Float64Array(p * m);
  const row = new Float64Array(p);
  for (let t = 0; t < T1; t++) {
    for (let j = 0; j < n; j++) row[j] = x[t * n + j];
    row[n] = 1;
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) G[i * p + j] += row[i] * row[j];
      for (let k = 0; k < m; k++) R[i * m + k] += row[i] * y[t * m + k];
    }
  }
  let trace = 0;
  for (let i = 0; i < p; i++) trace += G[i * p + i];
  for (let i = 0; i < p; i++) G[i * p + i] += 1e-12 * (trace / p) + 1e-300;
  const beta = solveSpd(G, R, p, m);

  const mean = { train: 0, test: 0 };
  const ols = { train: 0, test: 0 };
  for (let t = 0; t < T; t++) {
    let se0 = 0;
    let se1 = 0;
    for (let k = 0; k < m; k++) {
      let pred = beta[n * m + k];
      for (let j = 0; j < n; j++) pred += beta[j * m + k] * x[t * n + j];
      se0 += (y[t * m + k] - yMean[k]) ** 2;
      se1 += (y[t * m + k] - pred) ** 2;
    }
    if (t < T1) {
      mean.train += se0;
      ols.train += se1;
    } else {
      mean.test += se0;
      ols.test += se1;
    }
  }
  const T2 = T - T1;
  return {
    mean: { trainErr: mean.train / T1, testErr: T2 > 0 ? mean.test / T2 : NaN },
    ols: { trainErr: ols.train / T1, testErr: T2 > 0 ? ols.test / T2 : NaN },
  };
}

/** Solves G X = R for an SPD p×p matrix G and p×m right-hand sides (Cholesky; G and R are copied). */
function solveSpd(Gin: Float64Array, Rin: Float64Array, p: number, m: number): Float64Array {
  const L = Gin.slice();
  for (let j = 0; j < p; j++) {
    let d = L[j * p + j];
    for (let k = 0; k < j; k++) d -= L[j * p + k] ** 2;
    const ljj = Math.sqrt(Math.max(d, 1e-300));
    L[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = L[i * p + j];
      for (let k = 0; k < j; k++) s -= L[i * p + k] * L[j * p + k];
      L[i * p + j] = s / ljj;
    }
  }
  const X = Rin.slice();
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < p; i++) {
      let s = X[i * m + c];
      for (let k = 0; k < i; k++) s -= L[i * p + k] * X[k * m + c];
      X[i * m + c] = s / L[i * p + i];
    }
    for (let i = p - 1; i >= 0; i--) {
      let s = X[i * m + c];
      for (let k = i + 1; k < p; k++) s -= L[k * p + i] * X[k * m + c];
      X[i * m + c] = s / L[i * p + i];
    }
  }
  return X;
}
