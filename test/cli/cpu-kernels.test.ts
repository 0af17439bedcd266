// `alm-rnn train --cpu-kernels wasm|js`: both kernel sets train to the same result (to rounding),
// and a wrong value is a user error. (Its own file, apart from train.test.ts.)
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('alm-rnn train --cpu-kernels', () => {
  it('gives the same run on wasm and js kernels, to rounding', async () => {
    const args = ['train', '--dataset', 'sp500', '--hidden', '6', '--backend', 'cpu', '--outer', '5', '--inner', '10', '--json'];
    const [wasm, js] = await Promise.all([runCli([...args, '--cpu-kernels', 'wasm']), runCli([...args, '--cpu-kernels', 'js'])]);
    expect(wasm.code, wasm.stderr).toBe(0);
    expect(js.code, js.stderr).toBe(0);
    const a = JSON.parse(wasm.stdout), b = JSON.parse(js.stdout);
    expect(a.sweeps).toBe(b.sweeps);
    for (const k of ['trainErr', 'testErr', 'feasVio'] as const) expect(Math.abs(a[k] - b[k]) / Math.abs(b[k]), k).toBeLessThan(1e-8);
  });

  it('rejects an unknown choice', async () => {
    const res = await runCli(['train', '--backend', 'cpu', '--outer', '1', '--inner', '1', '--cpu-kernels', 'simd']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--cpu-kernels must be one of wasm, js, got "simd"/);
  });
});
