// The experiment's figures as SVG, from Vega-Lite specifications rendered headless by Vega
// (renderer "none": no canvas or browser needed):
//   Figure 1 — FeasVio of the ALM against the outer iteration (the paper's Fig. 1);
//   Figure 2 — TrainErr and TestErr against seconds of computation per method (each run's own) (the paper's Fig. 2).
import * as vega from 'vega';
import * as vl from 'vega-lite';
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

/** Renders a Vega-Lite specification to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Both figures as SVG text (absent when there is nothing to draw). */
export async function renderPlots(results: ExperimentResults): Promise<{ fig1?: string; fig2?: string }> {
  const out: { fig1?: string; fig2?: string } = {};
  const s1 = feasVioSpec(results);
  if (s1) out.fig1 = await renderSvg(s1);
  const s2 = errorVsTimeSpec(results);
  if (s2) out.fig2 = await renderSvg(s2);
  return out;
}

function countRuns(results: ExperimentResults, method: string): number {
  return results.runs.filter((r) => r.method === method).length;
}
