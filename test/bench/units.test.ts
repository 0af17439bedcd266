// The harness's pure parts: flags, size plans and filters, timing summaries, the byte model,
// kernel families, the baseline choice from the experiment runner's results, and the table.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.ts';
import { sweepBytes, sweepFlops } from '../../bench/flops.ts';
import { bestBaselineFrom, fallbackBaseline } from '../../bench/harness/end-to-end.ts';
import { families, familyOf, median, spread } from '../../bench/harness/measure.ts';
import { parseBenchArgs } from '../../bench/harness/options.ts';
import { withHeartbeat } from '../../bench/harness/progress.ts';
import { renderMarkdown } from '../../bench/harness/report.ts';
import { estimateMs } from '../../bench/harness/run.ts';
import { filterSizes, planSizes, PROFILES } from '../../bench/harness/sizes.ts';
import { BENCH_FORMAT, type BenchReport, type PointResult } from '../../bench/harness/types.ts';

describe('parseBenchArgs', () => {
  it('defaults to the full profile with both backends, into bench/results/latest', () => {
    const a = parseBenchArgs([]);
    expect(a.harness.profile.name).toBe('full');
    expect(a.harness.backends).toEqual(['cpu', 'webgpu']);
    expect(a.out).toBe('bench/results/latest');
    expect(a.harness.endToEnd && a.harness.kernels).toBe(true);
  });

  it('takes --quick, --device-profile and budget flags (with = too)', () => {
    expect(parseBenchArgs(['--quick']).harness.profile.name).toBe('quick');
    const d = parseBenchArgs(['--device-profile', '--max-seconds=90', '--sizes', 'paper,T<=10000', '--backends', 'webgpu', '--no-e2e']);
    expect(d.harness.profile).toMatchObject({ name: 'device', maxSeconds: 90, cpuMaxFlops: 1e9 });
    expect(d.harness.sizes).toEqual(['paper', 'T<=10000']);
    expect(d.harness.backends).toEqual(['webgpu']);
    expect(d.harness.endToEnd).toBe(false);
  });

  it('names the bad flag', () => {
    expect(() => parseBenchArgs(['--reps', '0'])).toThrow(/--reps needs an integer ≥ 1, got "0"/);
    expect(() => parseBenchArgs(['--backends', 'tpu'])).toThrow(UserInputError);
    expect(() => parseBenchArgs(['--profile', 'huge'])).toThrow(/--profile must be quick, full or device/);
    expect(() => parseBenchArgs(['--frobnicate'])).toThrow(/unknown option "--frobnicate"/);
  });
});

describe('sizes', () => {
  it('plans the paper sizes, then T and r ascending, from 100 to 100 000 and 10 to 512', () => {
    const s = planSizes(PROFILES.full);
    expect(s.slice(0, 3).map((x) => x.id)).toEqual(['synthetic-small', 'sp500', 'synthetic-large']);
    expect(s.find((x) => x.id === 'sp500')).toMatchObject({ r: 20, n: 11, m: 1, T: 393 });
    expect(s.find((x) => x.id === 'synthetic-large')).toMatchObject({ r: 100, n: 80, m: 30, T: 450 });
    const T = s.filter((x) => x.group === 'T').map((x) => x.T);
    expect(T[0]).toBe(100);
    expect(T[T.length - 1]).toBe(100_000);
    const r = s.filter((x) => x.group === 'r').map((x) => x.r);
    expect([r[0], r[r.length - 1]]).toEqual([10, 512]);
  });

  it('filters by group, id and bound', () => {
    const s = planSizes(PROFILES.full);
    expect(filterSizes(s, ['paper']).length).toBe(3);
    expect(filterSizes(s, ['T=1000', 'r=256', 'sp500']).map((x) => x.id)).toEqual(['sp500', 'T=1000']);
    expect(filterSizes(s, ['T', 'T<=1000']).map((x) => x.T)).toEqual([100, 300, 1000]);
  });

  it('refuses a filter it cannot read, and one that keeps no size (CLI flags and the page alike)', () => {
    const s = planSizes(PROFILES.full);
    expect(() => filterSizes(s, ['T<=abc'])).toThrow(UserInputError);
    expect(() => filterSizes(s, ['T<=abc'])).toThrow(/--sizes: "T<=abc" is not a size group \(paper, T, r\), a size id .* or a bound \(T<=10000, r<=256\)/);
    expect(() => filterSizes(s, ['T<=1'])).toThrow(/--sizes T<=1 keeps none of the profile's \d+ sizes/);
    expect(() => parseBenchArgs(['--quick', '--sizes', 'T<=abc'])).toThrow(/"T<=abc" is not a size group/);
    expect(parseBenchArgs(['--quick', '--sizes', 'paper']).harness.sizes).toEqual(['paper']);
  });
});

describe('measurement summaries', () => {
  it('median, range and median absolute deviation', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spread([10, 12, 11, 30, 9])).toMatchObject({ median: 11, min: 9, max: 30, mad: 1 });
  });

  it('groups steps into kernel families with shares', () => {
    expect(familyOf('cholesky factor_solve (z-block)')).toBe('cholesky');
    expect(familyOf('gram P')).toBe('gram');
    const f = families([{ label: 'gram P', ms: 1 }, { label: 'gram Q', ms: 1 }, { label: 'h_update', ms: 2 }]);
    expect(f).toEqual([{ family: 'gram', ms: 2, share: 0.5 }, { family: 'h_update', ms: 2, share: 0.5 }]);
  });

  it('counts flops as docs/method.md §7 (≈0.1 GFLOP at T=450) and bytes at the backend precision', () => {
    expect(sweepFlops(100, 80, 30, 450) / 1e9).toBeGreaterThan(0.08);
    expect(sweepFlops(100, 80, 30, 450) / 1e9).toBeLessThan(0.15);
    expect(sweepBytes(100, 80, 30, 450, 8)).toBe(2 * sweepBytes(100, 80, 30, 450, 4));
    // Linear in T.
    const b = (T: number) => sweepBytes(100, 80, 30, T, 4);
    expect(b(900) - b(450)).toBeCloseTo(b(1350) - b(900), 6);
  });
});

describe('baseline choice', () => {
  const file = {
    spec: { dataset: 'sp500', baseline: { epochs: 5000, sgdBatch: 50, momentum: 0.9 } },
    status: 'complete',
    selections: [
      { method: 'gd', init: 'he', lr: 0.01, valErr: 0.02 },
      { method: 'gdc', init: 'lecun', lr: 0.1, clip: 1.5, valErr: 0.01 },
      { method: 'adam', init: 'he', lr: 1, valErr: null },
    ],
  };

  it('takes the lowest validation error over every method and initialisation', () => {
    const best = bestBaselineFrom(file, 'sp500', 'x.json')!;
    expect(best).toMatchObject({ method: 'gdc', init: 'lecun', lr: 0.1, clip: 1.5, epochs: 5000 });
    // The next by validation error, for when the best diverges from the run's weights.
    expect(best.alternatives).toEqual([{ method: 'gd', init: 'he', lr: 0.01, epochs: 5000, sgdBatch: 50, momentum: 0.9 }]);
    expect(bestBaselineFrom(file, 'synthetic-large', 'x.json')).toBeUndefined();
    expect(bestBaselineFrom({}, 'sp500', 'x.json')).toBeUndefined();
  });

  it('falls back to built-in settings, saying so', () => {
    expect(fallbackBaseline('sp500').source).toMatch(/built-in/);
  });
});

describe('the harness is built on the public API', () => {
  const REPO = fileURLToPath(new URL('../..', import.meta.url));
  // `npm run bench` and what it loads: bench/main.ts, bench/cli.ts, bench/flops.ts, bench/harness/.
  const files = ['bench/main.ts', 'bench/cli.ts', 'bench/flops.ts', ...readdirSync(join(REPO, 'bench/harness')).map((f) => `bench/harness/${f}`)];

  it('imports only alm-rnn, alm-rnn/datasets, node: modules, its plotting packages and its own files', () => {
    const bad: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(REPO, file), 'utf8');
      for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const spec = m[1] ?? m[2];
        if (['alm-rnn', 'alm-rnn/datasets', 'vega', 'vega-lite'].includes(spec) || spec.startsWith('node:')) continue;
        const target = spec.startsWith('.') ? relative(REPO, resolve(dirname(join(REPO, file)), spec)) : spec;
        // Its own files: bench/ itself, not the research scripts that probe internals on purpose.
        if (spec.startsWith('.') && target.startsWith('bench/') && !target.startsWith('bench/research/')) continue;
        bad.push(`${file} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
    expect(files.length).toBeGreaterThan(10);
  });

  it('would catch an import into src/ (the check reads the import forms the harness uses)', () => {
    const probe = "import { x } from '../../src/backends/backend.ts';\nimport type {\n  Y,\n} from '../src/errors.ts';\nconst z = await import('../../src/a.ts');";
    const found = [...probe.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
    expect(found).toEqual(['../../src/backends/backend.ts', '../src/errors.ts', '../../src/a.ts']);
  });
});

describe('withHeartbeat', () => {
  it('says what it starts, then "still …" while the work lasts, and nothing once it is done', async () => {
    const lines: string[] = [];
    const value = await withHeartbeat(new Promise((r) => setTimeout(() => r(7), 260)), 'compiling', (l) => lines.push(l), 'compiling the pipelines', 0.05);
    expect(value).toBe(7);
    expect(lines[0]).toBe('compiling the pipelines');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {2}… still compiling \(\d+ s\)$/);
    const after = lines.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(lines.length).toBe(after);
    await expect(withHeartbeat(Promise.reject(new Error('boom')), 'x', () => {}, undefined, 0.05)).rejects.toThrow('boom');
  });
});

describe('renderMarkdown', () => {
  const point = (backend: 'cpu' | 'webgpu', ms: number | null, note?: string): PointResult => ({
    id: 'T=100', group: 'T', backend, r: 10, n: 2, m: 1, T: 100, flopsPerSweep: 1e6, bytesPerSweep: 1e4,
    status: ms === null ? 'skipped' : 'ok', seconds: 1,
    ...(note ? { note } : {}),
    ...(ms !== null ? { msPerSweep: { median: ms, min: ms, max: ms, mad: 0, samples: [ms] }, gflops: 1e6 / (ms * 1e6) } : {}),
  });
  const rep = (points: PointResult[], timestampQuery: boolean): BenchReport => ({
    format: BENCH_FORMAT, profile: 'quick', profileDescription: 'test', command: 'x', started: '', finished: '', seconds: 1,
    machine: { runtime: 'node', cpu: 'test cpu', cores: 2 },
    adapter: {
      runtime: 'node', vendor: 'v', architecture: 'a', description: 'd', isFallback: false, software: false, line: 'v a d',
      features: [], timestampQuery, timestampNote: timestampQuery ? 'timestamps' : 'per-kernel times unavailable: adapter lacks timestamp-query', limits: {},
    },
    backends: ['cpu', 'webgpu'], backendDescriptions: {}, settings: {}, points, notes: [],
  });

  it('puts GPU/CPU ratios in the row and says why a cell is missing', () => {
    const md = renderMarkdown(rep([point('cpu', 2), point('webgpu', 1)], true));
    const row = md.split('\n').find((l) => l.startsWith('| T=100 '))!;
    expect(row).toContain('| 0.50 |');
    const skipped = renderMarkdown(rep([point('cpu', 2), point('webgpu', null, 'skipped: estimated 9 s per sweep')], false));
    expect(skipped).toContain('skipped¹');
    expect(skipped).toContain('webgpu T=100: skipped: estimated 9 s per sweep');
    expect(skipped).toContain('per-kernel times unavailable: adapter lacks timestamp-query');
  });

  it('leaves out of its tables a size no backend measured and an end-to-end run that never started, saying why below them', () => {
    const gone = { ...point('cpu', null, 'skipped: over budget'), id: 'T=300' };
    const goneGpu = { ...point('webgpu', null, 'skipped: WebGPU set-up failed'), id: 'T=300' };
    const r = rep([point('cpu', 2), point('webgpu', null, 'skipped: WebGPU set-up failed'), gone, goneGpu], false);
    const run = (label: string, backend: 'cpu' | 'webgpu', status: 'ok' | 'skipped', note?: string) => ({
      label, method: 'alm', backend, status, ...(note ? { note } : {}), secondsToTarget: status === 'ok' ? 1 : null, iterationsToTarget: status === 'ok' ? 10 : null,
      bestTestErr: status === 'ok' ? 0.5 : null, finalTestErr: null, finalTrainErr: null, iterations: 0, seconds: 0, timeCapped: false, curve: [],
    });
    r.endToEnd = {
      dataset: 'synthetic-small', shape: { r: 4, n: 5, m: 3, T1: 9, T: 10 }, target: 1, targetRule: 'given', baselineSource: 'test', almCaps: { outer: 5, inner: 5 }, secondsCap: 3,
      runs: [run('ALM (cpu)', 'cpu', 'ok'), run('ALM (webgpu)', 'webgpu', 'skipped', 'skipped: WebGPU set-up failed')],
    };
    const md = renderMarkdown(r);
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(rows.some((l) => l.startsWith('| T=100 '))).toBe(true);
    expect(rows.some((l) => l.startsWith('| T=300 '))).toBe(false);
    expect(md).toContain('Not measured (every backend skipped it; why in the notes): T=300.');
    expect(rows.some((l) => l.startsWith('| ALM (cpu) '))).toBe(true);
    expect(rows.some((l) => l.startsWith('| ALM (webgpu) '))).toBe(false);
    expect(md).not.toContain('not reached');
    expect(md).toContain('Not run: ALM (webgpu) (webgpu): skipped: WebGPU set-up failed.');
  });
});

describe('estimateMs', () => {
  const p = (id: string, flops: number, ms: number): PointResult => ({
    id, group: 'T', backend: 'cpu', r: 1, n: 1, m: 1, T: 1, flopsPerSweep: flops, bytesPerSweep: 1, status: 'ok', seconds: 0,
    msPerSweep: { median: ms, min: ms, max: ms, mad: 0, samples: [ms] },
  });

  it('extrapolates along overhead + slope × flops, proportionally from one point, and knows nothing from none', () => {
    expect(estimateMs([], 10)).toBeUndefined();
    expect(estimateMs([p('a', 10, 2)], 30)).toMatchObject({ ms: 6, upperBound: true });
    expect(estimateMs([p('a', 10, 5), p('b', 20, 6)], 120)!.ms).toBeCloseTo(16, 9);
    // Overhead-bound (a GPU at small sizes): no slope, never below the larger point.
    expect(estimateMs([p('a', 10, 5), p('b', 20, 4)], 1000)!.ms).toBe(4);
    // A smaller size than any measured costs no more than the smallest measured.
    expect(estimateMs([p('a', 10, 5), p('b', 20, 6)], 1)!.ms).toBe(5);
  });
});
