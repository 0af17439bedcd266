// Floating-point operations of one BCD sweep, counted as in docs/method.md §7 (dense products,
// no credit for symmetry or for constant blocks), so GFLOP/s figures compare across backends.

/** Flops of one sweep's three blocks (z: w- and a-parts; h: D1, D2 and the T solves; u: Ψ(h)w). */
export function sweepBlockFlops(r: number, n: number, m: number, T: number): { z: number; h: number; u: number } {
  const K = r + n + 1;
  const R1 = r + 1;
  const zW = 2 * K * K * T + 2 * r * K * T + K ** 3 / 3 + 2 * r * K * K;
  const zA = 2 * R1 * R1 * T + 2 * m * R1 * T + R1 ** 3 / 3 + 2 * m * R1 * R1;
  const hMatrices = 2 * r * r * (m + r) + (2 * r ** 3) / 3;
  const hSolves = 2 * T * (r * m + r * n + r * r + 2 * r * r);
  const u = 2 * T * (r * r + r * n);
  return { z: zW + zA, h: hMatrices + hSolves, u };
}

/** Flops of one sweep at sizes r, n, m and training length T. */
export function sweepFlops(r: number, n: number, m: number, T: number): number {
  const b = sweepBlockFlops(r, n, m, T);
  return b.z + b.h + b.u;
}

/**
 * Bytes one sweep must move at least (a model, not a measurement): every T-long array a block
 * update reads is read once and every one it writes is written once, plus the small K×K, r×r
 * systems once each. Per step t: z-block Grams read h, x, u, ξ (P) and h, y (Q); the h-update
 * reads y, x, u, ξ, ζ, h and writes h; the u-update reads h, x, u, ξ, ζ and writes u.
 * `bytesPerValue` is 8 for the float64 CPU backend and 4 for WebGPU (f32).
 */
export function sweepBytes(r: number, n: number, m: number, T: number, bytesPerValue: number): number {
  const K = r + n + 1;
  const R1 = r + 1;
  const perStep = 3 * r + n + (r + m) + (m + n + 4 * r) + (n + 5 * r);
  const systems = 2 * (K * (K + r) + R1 * (R1 + m)) + 2 * r * (2 * r + (3 * r + m + n) + (r + m));
  return (T * perStep + systems) * bytesPerValue;
}
