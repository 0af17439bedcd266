// The live plots, drawn with uPlot: FeasVio and the augmented Lagrangian against the outer
// iteration, TrainErr/TestErr against the iteration and against wall time, γ, the fit on the
// test part for one output, and the small preview of the data. With early stopping the error
// plots show the run on the fit part (TrainErr and the validation error, k* marked), then the
// retraining for k* (TrainErr and TestErr of the final model).
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AlmIteration } from 'alm-rnn';
import { logTicks, nice125, tickLabel } from './ticks.ts';
import { argminValidation } from './validation-curve.ts';

type Column = (number | null)[];

const COLORS = { train: '#1f6feb', test: '#d9480f', truth: '#222', fit: '#d9480f', feas: '#2b8a3e', lag: '#7048e8', gamma: '#c2255c', val: '#e67700', kStar: '#000' };

/** A positive finite value, or null (a log scale cannot show the rest). */
export function positive(v: number): number | null {
  return Number.isFinite(v) && v > 0 ? v : null;
}

export function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** `marker`: points only, large (early stopping's k*). */
  series: { label: string; stroke: string; width?: number; dash?: number[]; marker?: boolean }[];
  /** 1 linear, 3 log, 4 asinh (log-like, takes values ≤ 0). */
  yDistr?: 1 | 3 | 4;
  height?: number;
  points?: boolean;
  /** x is an iteration count: integer ticks only. */
  integerX?: boolean;
}

const INTEGER_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/**
 * A log-scale range that hugs the data at 1-2-5 values (uPlot's default snaps to whole decades,
 * which flattens the curves of a short run).
 */
export function tightLogRange(_u: uPlot, min: number | null, max: number | null): uPlot.Range.MinMax {
  if (min === null || max === null || !(min > 0) || !(max > 0)) return [1, 10];
  let lo = nice125(min / 1.05, false);
  let hi = nice125(max * 1.05, true);
  if (hi / lo < 2.5) {
    lo = nice125(lo / 1.5, false);
    hi = nice125(hi * 1.5, true);
  }
  return [lo, hi];
}

/** The y axis of a log or asinh scale: 1-2-5 ticks labelled with their digits (see ticks.ts). */
export const LOG_Y_TICKS: Pick<uPlot.Axis, 'splits' | 'filter' | 'values'> = {
  splits: (_u, _axis, min, max) => logTicks(min, max),
  // uPlot's log filter would drop the 2s and 5s again: logTicks has already thinned them.
  filter: (_u, splits) => splits,
  values: (_u, splits) => splits.map((v) => (v === null || v === undefined ? '' : tickLabel(v))),
};

/** One uPlot chart that is fed whole columns and follows its container's width. */
class Chart {
  readonly plot: uPlot;
  private data: Column[];

  constructor(readonly container: HTMLElement, spec: ChartSpec) {
    this.data = [[], ...spec.series.map(() => [])];
    const width = Math.max(240, container.clientWidth || 400);
    const opts: uPlot.Options = {
      title: spec.title,
      width,
      height: spec.height ?? 210,
      legend: { show: true, live: false },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false },
        y: spec.yDistr === 3 ? { distr: 3, range: tightLogRange } : spec.yDistr === 4 ? { distr: 4, asinh: 1 } : {},
      },
      axes: [
        { label: spec.xLabel, size: 40, labelSize: 18, ...(spec.integerX ? { incrs: INTEGER_INCRS } : {}) },
        { label: spec.yLabel, size: 62, labelSize: 18, ...(spec.yDistr === 3 || spec.yDistr === 4 ? LOG_Y_TICKS : {}) },
      ],
      series: [
        { label: spec.xLabel },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width ?? 1.5,
          dash: s.dash,
          spanGaps: false,
          ...(s.marker
            ? { paths: () => null, points: { show: true, size: 12, width: 2.5, fill: '#fff' } }
            : { points: { show: spec.points ?? true, size: 4 } }),
        })),
      ],
    };
    this.plot = new uPlot(opts, this.data as uPlot.AlignedData, container);
    new ResizeObserver(() => {
      const w = Math.max(240, this.container.clientWidth);
      if (Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: this.plot.height });
    }).observe(container);
  }

  /** Replaces the data (uPlot redraws from whole columns; cheap at these sizes). */
  set(data: Column[]): void {
    this.data = data;
    this.plot.setData(data as uPlot.AlignedData, true);
  }

  /** Number of x values shown. */
  get length(): number {
    return this.data[0].length;
  }

  /** The x values where series `index` (1: the first after x) has a value. */
  xsOf(index: number): number[] {
    const col = this.data[index] ?? [];
    return (this.data[0] as number[]).filter((_, i) => col[i] !== null && col[i] !== undefined);
  }

  /** Removes the chart (its container is reused by a chart of other series). */
  destroy(): void {
    this.plot.destroy();
  }
}

/** Columns kept per iteration. */
interface Columns {
  k: number[];
  seconds: number[];
  feasVio: Column;
  lagrangian: Column;
  trainErr: Column;
  testErr: Column;
  gamma: Column;
}

function emptyColumns(): Columns {
  return { k: [], seconds: [], feasVio: [], lagrangian: [], trainErr: [], testErr: [], gamma: [] };
}

const ERR_Y = 'mean ‖y − ŷ‖²';

/** The error plots' series: TrainErr and TestErr, or with early stopping both stages and k*. */
function errorSeries(earlyStop: boolean): ChartSpec['series'] {
  if (!earlyStop) return [{ label: 'TrainErr', stroke: COLORS.train }, { label: 'TestErr', stroke: COLORS.test }];
  return [
    { label: 'TrainErr (fit part)', stroke: COLORS.train, width: 1 },
    { label: 'ValErr (validation steps, not TestErr)', stroke: COLORS.val, dash: [5, 3] },
    { label: 'k*', stroke: COLORS.kStar, marker: true },
    { label: 'TrainErr (retrained, final)', stroke: COLORS.train, width: 2.5 },
    { label: 'TestErr (final model)', stroke: COLORS.test, width: 2.5 },
  ];
}

/** Every live plot of a run. */
export class LivePlots {
  private readonly feas: Chart;
  private readonly lag: Chart;
  private errK: Chart;
  private errT: Chart;
  /** Whether the error plots show an early-stopped run (its two stages and k*). */
  private earlyStop = false;
  /** The retraining's iterations (early stopping), apart from the fit part's in `cols`. */
  private retrained: AlmIteration[] = [];
  private readonly gamma: Chart;
  private readonly fit: Chart;
  private cols = emptyColumns();
  private truth: { y: Float64Array; T: number; T1: number; m: number } | null = null;
  private yHat: Float64Array | null = null;
  private output = 0;

  constructor(byId: (id: string) => HTMLElement) {
    this.feas = new Chart(byId('chart-feasVio'), {
      title: 'FeasVio = max(‖C1‖, ‖C2‖)', xLabel: 'outer iteration k', integerX: true, yLabel: 'FeasVio', yDistr: 3,
      series: [{ label: 'FeasVio', stroke: COLORS.feas }],
    });
    this.lag = new Chart(byId('chart-lagrangian'), {
      title: 'Augmented Lagrangian L(sᵏ; ξᵏ, ζᵏ, γₖ)', xLabel: 'outer iteration k', integerX: true, yLabel: 'L', yDistr: 4,
      series: [{ label: 'L', stroke: COLORS.lag }],
    });
    this.errK = this.errorChart(byId('chart-errors'), false, false);
    this.errT = this.errorChart(byId('chart-errorsTime'), true, false);
    this.gamma = new Chart(byId('chart-gamma'), {
      title: 'Penalty γ used by iteration k', xLabel: 'outer iteration k', integerX: true, yLabel: 'γ', yDistr: 3,
      series: [{ label: 'γ', stroke: COLORS.gamma }],
    });
    this.fit = new Chart(byId('chart-fit'), {
      title: 'Test part: true and fitted', xLabel: 'step t', yLabel: 'y (standardised)', points: false,
      series: [{ label: 'true', stroke: COLORS.truth }, { label: 'fitted', stroke: COLORS.fit, width: 2 }],
    });
  }

  private errorChart(container: HTMLElement, time: boolean, earlyStop: boolean): Chart {
    const what = earlyStop ? 'TrainErr, validation error (k* marked), then the retrained model' : 'TrainErr and TestErr';
    return new Chart(container, time
      ? { title: `${what} against wall time`, xLabel: 'seconds', yLabel: ERR_Y, yDistr: 3, series: errorSeries(earlyStop) }
      : { title: what, xLabel: 'outer iteration k', integerX: true, yLabel: ERR_Y, yDistr: 3, series: errorSeries(earlyStop) });
  }

  /**
   * Clears every plot and starts from `history` (empty for a new run); `earlyStop`: the run stops
   * early on the validation split, so `history` is its run on the fit part (TestErr = ValErr).
   */
  reset(history: AlmIteration[], earlyStop = false): void {
    if (earlyStop !== this.earlyStop) {
      this.earlyStop = earlyStop;
      const k = this.errK.container, t = this.errT.container;
      this.errK.destroy();
      this.errT.destroy();
      this.errK = this.errorChart(k, false, earlyStop);
      this.errT = this.errorChart(t, true, earlyStop);
    }
    this.cols = emptyColumns();
    this.retrained = [];
    for (const it of history) this.push(it);
    this.yHat = null;
    this.redraw();
  }

  private push(it: AlmIteration): void {
    const c = this.cols;
    c.k.push(it.k);
    c.seconds.push(it.seconds);
    c.feasVio.push(positive(it.feasVio));
    c.lagrangian.push(finite(it.lagrangian));
    c.trainErr.push(positive(it.trainErr));
    c.testErr.push(positive(it.testErr));
    c.gamma.push(positive(it.gamma));
  }

  /** Adds one finished outer iteration (of the retraining for k*: drawn as the final model's curves). */
  addIteration(it: AlmIteration, stage?: 'fit' | 'retrain'): void {
    if (stage === 'retrain') this.retrained.push(it);
    else this.push(it);
    this.redraw();
  }

  /** k* so far (the fit run's outer iteration with the lowest validation error) and that error; null without early stopping or a finite one. */
  kStar(): { k: number; valErr: number } | null {
    if (!this.earlyStop) return null;
    const i = argminValidation(this.cols.testErr.map((v) => v ?? NaN));
    return i < 0 ? null : { k: this.cols.k[i], valErr: this.cols.testErr[i]! };
  }

  private redraw(): void {
    const c = this.cols;
    this.feas.set([c.k, c.feasVio]);
    this.lag.set([c.k, c.lagrangian]);
    this.gamma.set([c.k, c.gamma]);
    if (!this.earlyStop) {
      this.errK.set([c.k, c.trainErr, c.testErr]);
      this.errT.set([c.seconds, c.trainErr, c.testErr]);
      return;
    }
    const star = this.kStar();
    const marker = c.k.map((k, i) => (star && k === star.k ? c.testErr[i] : null));
    // Against k: the retraining's iteration k beside the fit run's (k ≤ k* ≤ the fit run's last).
    const ks = [...c.k];
    for (const it of this.retrained) if (!ks.includes(it.k)) ks.push(it.k);
    const at = (k: number) => this.retrained.find((it) => it.k === k);
    const fitAt = (col: Column, k: number) => { const i = c.k.indexOf(k); return i < 0 ? null : col[i]; };
    this.errK.set([ks, ks.map((k) => fitAt(c.trainErr, k)), ks.map((k) => fitAt(c.testErr, k)), ks.map((k) => fitAt(marker, k)),
      ks.map((k) => { const it = at(k); return it ? positive(it.trainErr) : null; }), ks.map((k) => { const it = at(k); return it ? positive(it.testErr) : null; })]);
    // Against time: the retraining after the fit run, on one clock.
    const offset = c.seconds.length > 0 ? c.seconds[c.seconds.length - 1] : 0;
    const none = (n: number): Column => Array(n).fill(null);
    const r = this.retrained;
    this.errT.set([
      [...c.seconds, ...r.map((it) => offset + it.seconds)],
      [...c.trainErr, ...none(r.length)], [...c.testErr, ...none(r.length)], [...marker, ...none(r.length)],
      [...none(c.k.length), ...r.map((it) => positive(it.trainErr))], [...none(c.k.length), ...r.map((it) => positive(it.testErr))],
    ]);
  }

  /** The true series of the run (T×m) and its split. */
  setTruth(y: Float64Array, T: number, T1: number, m: number): void {
    this.truth = { y, T, T1, m };
    this.yHat = null;
    this.output = Math.min(this.output, m - 1);
    this.drawFit();
  }

  /** Predictions over the whole series (T×m) from the latest weights. */
  setFit(yHat: Float64Array): void {
    this.yHat = yHat;
    this.drawFit();
  }

  /** Chooses which output the fit plot shows. */
  setOutput(index: number): void {
    this.output = index;
    this.drawFit();
  }

  private drawFit(): void {
    if (!this.truth) return this.fit.set([[], [], []]);
    const { y, T, T1, m } = this.truth;
    const j = this.output;
    const xs: number[] = [];
    const truth: Column = [];
    const fitted: Column = [];
    for (let t = T1; t < T; t++) {
      xs.push(t + 1);
      truth.push(y[t * m + j]);
      fitted.push(this.yHat ? finite(this.yHat[t * m + j]) : null);
    }
    this.fit.set([xs, truth, fitted]);
  }

  /** Where the k* marker is drawn on the error plot against k (its x values), for the page's tests. */
  markerKs(): number[] {
    return this.earlyStop ? this.errK.xsOf(3) : [];
  }

  /** Points per plot (x values, and fitted values for the fit plot), for the page's tests. */
  counts(): Record<string, number> {
    return {
      feasVio: this.cols.feasVio.filter((v) => v !== null).length,
      lagrangian: this.cols.lagrangian.filter((v) => v !== null).length,
      errors: this.errK.length,
      errorsTime: this.errT.length,
      ...(this.earlyStop ? { valErr: this.cols.testErr.filter((v) => v !== null).length, retrained: this.retrained.length } : {}),
      gamma: this.cols.gamma.filter((v) => v !== null).length,
      fit: this.yHat ? this.fit.length : 0,
    };
  }
}

/** The small preview of a data set: the first target over the whole series, train and test parts. */
export class PreviewPlot {
  private readonly chart: Chart;

  constructor(container: HTMLElement) {
    this.chart = new Chart(container, {
      title: '', xLabel: 'step t', yLabel: 'y', height: 150, points: false,
      series: [{ label: 'train', stroke: COLORS.train }, { label: 'test', stroke: COLORS.test }],
    });
  }

  /** Shows the first target of a T×m series split at T1. */
  show(y: Float64Array, T: number, m: number, T1: number): void {
    const xs: number[] = [];
    const train: Column = [];
    const test: Column = [];
    for (let t = 0; t < T; t++) {
      xs.push(t + 1);
      const v = y[t * m];
      train.push(t < T1 ? v : null);
      // The test line starts at the last training step so the two parts join.
      test.push(t >= T1 - 1 ? v : null);
    }
    this.chart.set([xs, train, test]);
  }

  /** Empties the preview (no data loaded). */
  clear(): void {
    this.chart.set([[], [], []]);
  }
}
