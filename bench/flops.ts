// Floating-point operations of one BCD sweep, counted as in ALGORITHM.md §7 (dense products,
// no credit for symmetry or for constant blocks), so GFLOP/s figures compare across backends.

/** Flops of one sweep at sizes r, n, m and training length T. */
export function sweepFlops(r: number, n: number, m: number, T: number): number {
  const K = r + n + 1;
  const R1 = r + 1;
  const zW = 2 * K * K * T + 2 * r * K * T + K ** 3 / 3 + 2 * r * K * K;
  const zA = 2 * R1 * R1 * T + 2 * m * R1 * T + R1 ** 3 / 3 + 2 * m * R1 * R1;
  const hMatrices = 2 * r * r * (m + r) + (2 * r ** 3) / 3;
  const hSolves = 2 * T * (r * m + r * n + r * r + 2 * r * r);
  const u = 2 * T * (r * r + r * n);
  return zW + zA + hMatrices + hSolves + u;
}
