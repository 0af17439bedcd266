// The live plots, drawn with uPlot: FeasVio and the augmented Lagrangian against the outer
// iteration, TrainErr/TestErr against the iteration and against wall time, γ, the fit on the
// test part for one output, and the small preview of the data.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AlmIteration } from 'alm-rnn';
import { logTicks, nice125, tickLabel } from './ticks.ts';

type Column = (number | null)[];

const COLORS = { train: '#1f6feb', test: '#d9480f', truth: '#222', fit: '#d9480f', feas: '#2b8a3e', lag: '#7048e8', gamma: '#c2255c' };

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
  series: { label: string; stroke: string; width?: number; dash?: number[] }[];
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
          points: { show: spec.points ?? true, size: 4 },
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

/** Every live plot of a run. */
export class LivePlots {
  private readonly feas: Chart;
  private readonly lag: Chart;
  private readonly errK: Chart;
  private readonly errT: Chart;
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
    this.errK = new Chart(byId('chart-errors'), {
      title: 'TrainErr and TestErr', xLabel: 'outer iteration k', integerX: true, yLabel: 'mean ‖y − ŷ‖²', yDistr: 3,
      series: [{ label: 'TrainErr', stroke: COLORS.train }, { label: 'TestErr', stroke: COLORS.test }],
    });
    this.errT = new Chart(byId('chart-errorsTime'), {
      title: 'TrainErr and TestErr against wall time', xLabel: 'seconds', yLabel: 'mean ‖y − ŷ‖²', yDistr: 3,
      series: [{ label: 'TrainErr', stroke: COLORS.train }, { label: 'TestErr', stroke: COLORS.test }],
    });
    this.gamma = new Chart(byId('chart-gamma'), {
      title: 'Penalty γ used by iteration k', xLabel: 'outer iteration k', integerX: true, yLabel: 'γ', yDistr: 3,
      series: [{ label: 'γ', stroke: COLORS.gamma }],
    });
    this.fit = new Chart(byId('chart-fit'), {
      title: 'Test part: true and fitted', xLabel: 'step t', yLabel: 'y (standardised)', points: false,
      series: [{ label: 'true', stroke: COLORS.truth }, { label: 'fitted', stroke: COLORS.fit, width: 2 }],
    });
  }

  /** Clears every plot and starts from `history` (empty for a new run). */
  reset(history: AlmIteration[]): void {
    this.cols = emptyColumns();
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

  /** Adds one finished outer iteration. */
  addIteration(it: AlmIteration): void {
    this.push(it);
    this.redraw();
  }

  private redraw(): void {
    const c = this.cols;
    this.feas.set([c.k, c.feasVio]);
    this.lag.set([c.k, c.lagrangian]);
    this.errK.set([c.k, c.trainErr, c.testErr]);
    this.errT.set([c.seconds, c.trainErr, c.testErr]);
    this.gamma.set([c.k, c.gamma]);
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

  /** Points per plot (x values, and fitted values for the fit plot), for the page's tests. */
  counts(): Record<string, number> {
    return {
      feasVio: this.cols.feasVio.filter((v) => v !== null).length,
      lagrangian: this.cols.lagrangian.filter((v) => v !== null).length,
      errors: this.errK.length,
      errorsTime: this.errT.length,
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
