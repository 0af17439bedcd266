// The experiment's figures as SVG, from Vega-Lite specifications rendered headless by Vega
// (renderer "none": no canvas or browser needed):
//   Figure 1 — FeasVio of the ALM against the outer iteration (the paper's Fig. 1);
//   Figure 2 — TrainErr and TestErr against seconds of computation per method (each run's own) (the paper's Fig. 2).
//
// vega and vega-lite are optional peer dependencies: they are imported only when a figure is
// drawn, and when they are absent the figures are skipped with one line saying so (the tables
// in README.md and results.json do not need them). Nothing else under src/ imports them.
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { ExperimentResults } from './results.ts';
import { bestInitPerMethod, cellStats, INIT_LABELS, medianRun, METHOD_LABELS } from './stats.ts';

/** The Vega-Lite specification of Figure 1, or null when the experiment has no finished ALM run. */
export function feasVioSpec(results: ExperimentResults): TopLevelSpec | null {
  const rows = results.runs
    .filter((r) => r.method === 'alm')
    .flatMap((r) => r.curve
      .filter((p) => p.step >= 1 && typeof p.feasVio === 'number' && p.feasVio > 0)
      .map((p) => ({ init: INIT_LABELS[r.init], run: r.key, k: p.step, feasVio: p.feasVio })));
  if (rows.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `FeasVio of the ALM: ${results.spec.dataset}`, subtitle: `${countRuns(results, 'alm')} runs, ${results.spec.alm.outer} × ${results.spec.alm.inner} caps` },
    width: 420,
    height: 280,
    background: 'white',
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2, opacity: 0.7 },
    encoding: {
      x: { field: 'k', type: 'quantitative', title: 'outer iteration k' },
      y: { field: 'feasVio', type: 'quantitative', scale: { type: 'log' }, title: 'FeasVio', axis: { format: '.0e' } },
      color: { field: 'init', type: 'nominal', title: 'initialisation', sort: results.spec.inits.map((i) => INIT_LABELS[i]) },
      detail: { field: 'run', type: 'nominal' },
    },
  };
}

/** The Vega-Lite specification of Figure 2, or null when no run has finished. */
export function errorVsTimeSpec(results: ExperimentResults): TopLevelSpec | null {
  const best = bestInitPerMethod(results, cellStats(results));
  const rows: { method: string; seconds: number; measure: string; value: number }[] = [];
  const legend: string[] = [];
  for (const method of results.spec.methods) {
    const cell = best.get(method);
    const run = cell && medianRun(cell);
    if (!cell || !run) continue;
    const label = `${METHOD_LABELS[method]} (${INIT_LABELS[cell.init]})`;
    legend.push(label);
    for (const p of run.curve) {
      if (!(p.seconds > 0)) continue;
      for (const [measure, value] of [['TrainErr', p.trainErr], ['TestErr', p.testErr]] as const) {
        if (value !== null && Number.isFinite(value) && value > 0) rows.push({ method: label, seconds: p.seconds, measure, value });
      }
    }
  }
  if (rows.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Error against time: ${results.spec.dataset}`, subtitle: 'median-TestErr run of each method\'s best initialisation' },
    background: 'white',
    data: { values: rows },
    facet: { column: { field: 'measure', type: 'nominal', title: null, sort: ['TrainErr', 'TestErr'] } },
    spec: {
      width: 340,
      height: 260,
      mark: { type: 'line', strokeWidth: 1.5, point: false },
      encoding: {
        x: { field: 'seconds', type: 'quantitative', scale: { type: 'log' }, title: 'seconds (each run\'s own computation)' },
        y: { field: 'value', type: 'quantitative', scale: { type: 'log' }, title: 'error' },
        color: { field: 'method', type: 'nominal', title: 'method', sort: legend },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/** The two packages the figures are drawn with. */
export interface VegaModules {
  /** The vega package: parses the compiled specification and renders it to SVG. */
  vega: typeof Vega;
  /** The vega-lite package: compiles the figures' Vega-Lite specifications to Vega. */
  vl: typeof VegaLite;
}

/** Imports vega and vega-lite; rejects when either cannot be imported. */
export type VegaLoader = () => Promise<VegaModules>;

/** The packages importVega loads, in VegaModules' order. */
const VEGA_PACKAGES = ['vega', 'vega-lite'] as const;

/** The line renderPlots gives when vega or vega-lite is not installed. */
export const FIGURES_SKIPPED_NOT_INSTALLED =
  'figures skipped: the optional packages vega and vega-lite are not installed (npm install vega vega-lite)';

/**
 * Imports vega and vega-lite at run time. The specifiers are not literals, so a bundler leaves
 * the optional packages out rather than failing on them; `names` is for tests only.
 */
export async function importVega(names: readonly [string, string] = VEGA_PACKAGES): Promise<VegaModules> {
  const [vega, vl] = await Promise.all(names.map((name) => import(/* @vite-ignore */ name)));
  return { vega: vega as typeof Vega, vl: vl as typeof VegaLite };
}

/** The one line saying why the figures were skipped when `load` failed with `error`. */
export function figuresSkippedLine(error: unknown): string {
  if (isModuleNotFound(error)) return FIGURES_SKIPPED_NOT_INSTALLED;
  const first = (error instanceof Error ? error.message : String(error)).split('\n')[0].trim();
  return `figures skipped: the optional packages vega and vega-lite could not be loaded (${first}); reinstall them with npm install vega vega-lite`;
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return true;
  const message = error instanceof Error ? error.message : String(error);
  return /Cannot find (package|module)|Failed to (load|resolve)/.test(message);
}

/** Renders a Vega-Lite specification to an SVG document with the given (or freshly imported) packages. */
export async function renderSvg(spec: TopLevelSpec, modules?: VegaModules): Promise<string> {
  const { vega, vl } = modules ?? await importVega();
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** renderPlots' answer: each figure as SVG text (absent when there is nothing to draw), or why none was drawn. */
export interface Plots {
  fig1?: string;
  fig2?: string;
  /** One line, set when there was something to draw but vega or vega-lite could not be imported. */
  skipped?: string;
}

/**
 * Both figures as SVG text (absent when there is nothing to draw). vega and vega-lite are
 * imported (by `load`) only when there is a figure to draw; when that fails, no figure is drawn
 * and `skipped` says why in one line. A failure while rendering is not caught.
 */
export async function renderPlots(results: ExperimentResults, load: VegaLoader = importVega): Promise<Plots> {
  const s1 = feasVioSpec(results);
  const s2 = errorVsTimeSpec(results);
  if (!s1 && !s2) return {};
  let modules: VegaModules;
  try {
    modules = await load();
  } catch (error) {
    return { skipped: figuresSkippedLine(error) };
  }
  const out: Plots = {};
  if (s1) out.fig1 = await renderSvg(s1, modules);
  if (s2) out.fig2 = await renderSvg(s2, modules);
  return out;
}

function countRuns(results: ExperimentResults, method: string): number {
  return results.runs.filter((r) => r.method === method).length;
}
