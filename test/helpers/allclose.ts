// The one numerical comparison of the test suite: element-wise |a − e| ≤ atol + rtol·|e|,
// failing with the worst offending index and both values.
import { expect } from 'vitest';

/** Tolerances of an element-wise comparison. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

type Numeric = number | ArrayLike<number>;

/** Asserts that `actual` matches `expected` element-wise within the tolerance. */
export function expectAllClose(actual: Numeric, expected: Numeric, tol: Tolerance, label = 'value'): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  expect(a.length, `${label}: length`).toBe(e.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < e.length; i++) {
    const diff = Math.abs(a[i] - e[i]);
    const allowed = tol.atol + tol.rtol * Math.abs(e[i]);
    const excess = Number.isNaN(diff) ? Infinity : diff - allowed;
    if (excess > 0 && excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    const diff = Math.abs(a[worst] - e[worst]);
    expect.fail(
      `${label}[${worst}]: got ${a[worst]}, expected ${e[worst]} (|diff| ${diff.toExponential(3)} > ` +
        `atol ${tol.atol} + rtol ${tol.rtol}·|expected|)`,
    );
  }
}

/** Largest relative difference max|a − e| / max|e| (for reports). */
export function maxRelativeDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < expected.length; i++) {
    num = Math.max(num, Math.abs(actual[i] - expected[i]));
    den = Math.max(den, Math.abs(expected[i]));
  }
  return den === 0 ? num : num / den;
}
