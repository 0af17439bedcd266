// The figures need vega and vega-lite, optional peer dependencies imported only when a figure is
// drawn: with them the SVG files come out; without them (a loader that fails, a package that is
// not installed, or a mocked 'vega' whose import throws) the experiment still writes
// results.json and README.md, and says in one line that the figures were skipped.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import {
  FIGURES_SKIPPED_NOT_INSTALLED, figuresSkippedLine, importVega, renderPlots, type VegaLoader,
} from '../../src/experiments/plots.ts';
import { readResults, RESULTS_FORMAT, type ExperimentResults, type RunRecord } from '../../src/experiments/results.ts';
import { EXPERIMENT_FILES, prepareExperiment, runExperiment, writeReport } from '../../src/experiments/runner.ts';
import { checkWellFormedSvg } from './xml.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'alm-fig-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An import of a package that is not installed, as Node reports it. */
function notInstalled(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /x/src/experiments/plots.ts`), { code: 'ERR_MODULE_NOT_FOUND' });
}

/** A loader standing in for an install without vega, counting its calls. */
function missingVega(): VegaLoader & { calls: number } {
  const load = Object.assign(async () => {
    load.calls++;
    throw notInstalled('vega');
  }, { calls: 0 });
  return load;
}

function run(method: RunRecord['method'], init: RunRecord['init'], repeat: number): RunRecord {
  const curve = [1, 2, 3].map((k) => ({
    step: k, seconds: 0.1 * k, trainErr: 0.5 * (4 - k), testErr: 0.7 * (4 - k), ...(method === 'alm' ? { feasVio: 10 ** -k, gamma: k } : {}),
  }));
  return {
    key: `${method}/${init}/${repeat}`, method, init, repeat, seed: 1 + repeat, trainErr: 0.5, testErr: 0.7, seconds: 0.3,
    iterations: 3, stop: 'epochs', curve: [{ step: 0, seconds: 0, trainErr: 9, testErr: 9 }, ...curve], ...(method === 'alm' ? {} : { lr: 0.01 }),
  };
}

/** Hand-made results with something to draw in both figures. */
function results(): ExperimentResults {
  const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick', methods: ['alm', 'gd'], inits: ['he'], repeats: 2 });
  return {
    format: RESULTS_FORMAT, spec, commands: ['alm-rnn experiment --dataset synthetic-small --quick'],
    data: { T: 10, T1: 9, n: 5, m: 3, r: 4, fitSteps: 8, validationSteps: 1 },
    backend: 'cpu', machine: { cpu: 'x', cores: 2, node: 'v20', platform: 'linux-x64' },
    status: 'complete', started: '', updated: '',
    selections: [{ key: 'gd/he', method: 'gd', init: 'he', lr: 0.01, valErr: 1.5, candidates: [], seconds: 1 }],
    runs: [run('alm', 'he', 0), run('alm', 'he', 1), run('gd', 'he', 0), run('gd', 'he', 1)],
  };
}

describe('figures with vega and vega-lite installed', () => {
  it('writeReport writes README.md and both SVG figures, and skips nothing', async () => {
    const dir = tempDir();
    const { files, figuresSkipped } = await writeReport(results(), dir);
    expect(figuresSkipped).toBeUndefined();
    expect(files.fig1).toBe(join(dir, EXPERIMENT_FILES.fig1));
    expect(files.fig2).toBe(join(dir, EXPERIMENT_FILES.fig2));
    for (const f of [files.fig1!, files.fig2!]) expect(checkWellFormedSvg(readFileSync(f, 'utf8'))).toBeGreaterThan(20);
    expect(readFileSync(files.fig1!, 'utf8')).toContain('FeasVio');
    const report = readFileSync(files.report, 'utf8');
    expect(report).toContain(`](${EXPERIMENT_FILES.fig1})`);
    expect(report).toContain(`](${EXPERIMENT_FILES.fig2})`);
  });

  it('importVega loads the packages the figures are drawn with', async () => {
    const { vega, vl } = await importVega();
    expect(typeof vega.View).toBe('function');
    expect(typeof vl.compile).toBe('function');
  });
});

describe('figures without vega', () => {
  it('renderPlots draws nothing and gives the one-line message; the loader is not called when there is nothing to draw', async () => {
    const load = missingVega();
    const plots = await renderPlots(results(), load);
    expect(plots).toEqual({ skipped: FIGURES_SKIPPED_NOT_INSTALLED });
    expect(load.calls).toBe(1);
    expect(FIGURES_SKIPPED_NOT_INSTALLED).toBe('figures skipped: the optional packages vega and vega-lite are not installed (npm install vega vega-lite)');
    expect(await renderPlots({ ...results(), runs: [] }, load)).toEqual({});
    expect(load.calls).toBe(1);
  });

  it('writeReport writes README.md with its tables, no SVG, and says why in place of the figures', async () => {
    const dir = tempDir();
    const { files, figuresSkipped } = await writeReport(results(), dir, missingVega());
    expect(figuresSkipped).toBe(FIGURES_SKIPPED_NOT_INSTALLED);
    expect(files.fig1).toBeUndefined();
    expect(files.fig2).toBeUndefined();
    expect(existsSync(join(dir, EXPERIMENT_FILES.fig1))).toBe(false);
    expect(existsSync(join(dir, EXPERIMENT_FILES.fig2))).toBe(false);
    const report = readFileSync(files.report, 'utf8');
    expect(report).toContain('| ALM | TrainErr |');
    expect(report).not.toContain('.svg');
    expect(report).toContain('The figures were not drawn: the optional packages vega and vega-lite are not installed (npm install vega vega-lite).');
  });

  it('runExperiment writes results.json and README.md and reports the skipped figures once', async () => {
    const out = join(tempDir(), 'exp');
    const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick', methods: ['alm', 'gd'], inits: ['he'], repeats: 1 });
    const load = missingVega();
    const outcome = await runExperiment(spec, { outDir: out, threads: 1, loadVega: load });
    expect(outcome.stopped).toBe(false);
    expect(outcome.figuresSkipped).toBe(FIGURES_SKIPPED_NOT_INSTALLED);
    expect(load.calls).toBe(1);
    expect(outcome.files).toEqual({ results: join(out, EXPERIMENT_FILES.results), report: join(out, EXPERIMENT_FILES.report) });
    expect(readResults(outcome.files.results).runs).toHaveLength(2);
    expect(readFileSync(outcome.files.report, 'utf8')).toContain('| GD | TrainErr |');
    expect(existsSync(join(out, EXPERIMENT_FILES.fig1))).toBe(false);
    expect(existsSync(join(out, EXPERIMENT_FILES.fig2))).toBe(false);
  });

  it('a package that is not installed is reported as not installed (the runtime\'s own error)', async () => {
    const error = await importVega(['vega', 'alm-rnn-no-such-package']).then(() => null, (e: unknown) => e);
    expect(error).not.toBeNull();
    expect(figuresSkippedLine(error)).toBe(FIGURES_SKIPPED_NOT_INSTALLED);
  });

  it('another import failure is skipped too, in one line that names it', () => {
    const line = figuresSkippedLine(new SyntaxError('Unexpected token \'export\'\n    at compileSourceTextModule (node:internal)'));
    expect(line).toBe('figures skipped: the optional packages vega and vega-lite could not be loaded (Unexpected token \'export\'); '
      + 'reinstall them with npm install vega vega-lite');
  });
});

describe('figures when importing vega throws (vi.doMock)', () => {
  afterEach(() => {
    vi.doUnmock('vega');
    vi.resetModules();
  });

  it('the default loader\'s failure skips the figures with one line, and the tables are still written', async () => {
    vi.resetModules();
    vi.doMock('vega', () => {
      throw notInstalled('vega');
    });
    const runner = await import('../../src/experiments/runner.ts');
    const dir = tempDir();
    const { files, figuresSkipped } = await runner.writeReport(results(), dir);
    expect(figuresSkipped).toMatch(/^figures skipped: the optional packages vega and vega-lite /);
    expect(figuresSkipped).toContain('npm install vega vega-lite');
    expect(figuresSkipped).not.toContain('\n');
    expect(files.fig1).toBeUndefined();
    expect(files.fig2).toBeUndefined();
    expect(existsSync(join(dir, EXPERIMENT_FILES.fig1))).toBe(false);
    expect(readFileSync(files.report, 'utf8')).toContain('| ALM | TrainErr |');
  });
});
