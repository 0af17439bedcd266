// SVG plots of ms per sweep against T and against r, both backends on one plot (log–log),
// from Vega-Lite specifications rendered headless by Vega (renderer "none": no canvas needed).
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { BenchReport } from './types.ts';

/** Legend names of the backends. */
export function seriesName(rep: BenchReport, backend: string): string {
  if (backend === 'cpu') return 'CPU (float64)';
  const a = rep.adapter;
  return `WebGPU (f32, ${a ? (a.software ? `${a.architecture || 'software'} software adapter` : a.description || a.architecture || a.vendor) : 'no adapter'})`;
}

/** The Vega-Lite specification of ms per sweep against `axis` ("T" or "r"), or null without data. */
export function scalingSpec(rep: BenchReport, axis: 'T' | 'r'): TopLevelSpec | null {
  const pts = rep.points.filter((p) => p.group === axis && p.status === 'ok' && p.msPerSweep);
  if (pts.length === 0) return null;
  const first = pts[0];
  const fixed = axis === 'T' ? `r=${first.r}, n=${first.n}, m=${first.m}` : `n=${first.n}, m=${first.m}, T=${first.T}`;
  const values = pts.map((p) => ({
    x: p[axis], ms: p.msPerSweep!.median, lo: p.msPerSweep!.min, hi: p.msPerSweep!.max, backend: seriesName(rep, p.backend),
  }));
  const color = { field: 'backend', type: 'nominal' as const, title: 'backend', legend: { orient: 'bottom' as const, labelLimit: 400 } };
  const x = { field: 'x', type: 'quantitative' as const, scale: { type: 'log' as const }, title: axis === 'T' ? 'training length T' : 'hidden size r' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `ms per BCD sweep against ${axis} (${fixed})`, subtitle: `${rep.machine.cpu ?? rep.machine.runtime}; median, bars: min–max` },
    width: 520,
    height: 320,
    background: 'white',
    data: { values },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms per sweep' }, color } },
      { mark: { type: 'rule' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } },
    ],
  };
}

/** Renders a Vega-Lite specification to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Both scaling plots as SVG text (absent when the series has no measured point). */
export async function renderScalingPlots(rep: BenchReport): Promise<{ T?: string; r?: string }> {
  const out: { T?: string; r?: string } = {};
  for (const axis of ['T', 'r'] as const) {
    const spec = scalingSpec(rep, axis);
    if (spec) out[axis] = await renderSvg(spec);
  }
  return out;
}
