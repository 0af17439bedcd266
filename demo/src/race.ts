// The race: N ALM trials (seeds × initialisations × τ) and the chosen gradient baselines on the
// same data, drawn on the same axes. The trials run as one batch on WebGPU, or in slices over a
// pool of CPU Web Workers (trials are independent, so the slices need no lockstep); the
// baselines run in a worker of their own. Every trial is drawn faintly and the best one boldly:
// the one chosen on the validation split (then retrained on the whole training part, as
// `alm-rnn train --select validation` does), or the one with the lowest TrainErr. With early
// stopping every trial and baseline also draws its validation curve with k* marked, and its
// final model is retrained for k* (or is its best iterate).
import uPlot from 'uplot';
import {
  defaultValidationSteps, lowestScore, presetSettings, trialFileName, type AlmIteration, type BackendInfo, type BaselineStop, type EarlyStopOptions,
  type EarlyStopOutcome, type EpochReport, type Method, type RnnWeights, type RunConfig,
} from 'alm-rnn';
import { download, modelFileText, slug } from './exports.ts';
import type { RaceSettings } from './form.ts';
import { fmt, fmtSeconds, shortName } from './format.ts';
import { finite, LOG_Y_TICKS, positive, tightLogRange } from './plots.ts';
import { argminValidation } from './validation-curve.ts';
import type { BackendChoice, CsvSource } from './protocol.ts';
import type { FromRaceWorker, LearningRate, RaceTrial, RaceTrialResult, ToRaceWorker } from './race-protocol.ts';

/** What a race needs to start. */
export interface RaceInput {
  trials: RunConfig[];
  settings: RaceSettings;
  csv?: CsvSource;
  backend: BackendChoice;
  /** T1 of the data (for the validation split's default V). */
  T1: number;
}

/** How the race tells the page what happens. */
export interface RaceEvents {
  state(state: 'running' | 'paused' | 'done' | 'stopped' | 'error', text: string): void;
  progress(fraction: number, text: string): void;
  notice(text: string): void;
  error(text: string): void;
}

const TRIAL_FAINT = 'rgba(31, 111, 235, 0.35)';
const TRIAL_BOLD = '#0b3d91';
const BASELINE_COLORS: Record<Method, string> = { adam: '#d9480f', gd: '#2b8a3e', gdc: '#7048e8', gdnm: '#c2255c', sgd: '#e67700' };

interface Line {
  label: string;
  stroke: string;
  width: number;
  dash?: number[];
  /** Mark the points (a short series, e.g. a test part of one step, shows no line). */
  points?: boolean;
  /** Points only, large: early stopping's k* on a validation curve. */
  marker?: boolean;
  xs: number[];
  ys: (number | null)[];
}

/** A uPlot chart of lines with their own x values, rebuilt when the set of lines (or their look) changes. */
class LinesChart {
  private plot: uPlot | null = null;
  private signature = '';

  constructor(private readonly container: HTMLElement, private readonly title: string, private readonly xLabel: string, private readonly yLabel: string) {
    new ResizeObserver(() => {
      const w = Math.max(240, this.container.clientWidth);
      if (this.plot && Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: this.plot.height });
    }).observe(container);
  }

  draw(lines: Line[], logY = true): void {
    const tables = lines.map((l) => [l.xs, l.ys] as uPlot.AlignedData);
    const data = lines.length > 0 ? uPlot.join(tables) : ([[]] as uPlot.AlignedData);
    const signature = JSON.stringify(lines.map((l) => [l.label, l.stroke, l.width, l.dash, l.points, l.marker]));
    if (!this.plot || signature !== this.signature) {
      this.plot?.destroy();
      this.signature = signature;
      this.plot = new uPlot({
        title: this.title,
        width: Math.max(240, this.container.clientWidth || 400),
        height: 260,
        legend: { show: true, live: false },
        scales: { x: { time: false }, y: logY ? { distr: 3, range: tightLogRange } : {} },
        axes: [{ label: this.xLabel, size: 40, labelSize: 18 }, { label: this.yLabel, size: 62, labelSize: 18, ...(logY ? LOG_Y_TICKS : {}) }],
        series: [
          { label: this.xLabel },
          ...lines.map((l) => (l.marker
            ? { label: l.label, stroke: l.stroke, width: 2, paths: () => null, points: { show: true, size: 11, width: 2, fill: '#fff' } }
            : { label: l.label, stroke: l.stroke, width: l.width, dash: l.dash, spanGaps: true, points: { show: l.points ?? false, size: 6, fill: l.stroke } })),
        ],
      }, data, this.container);
    } else {
      this.plot.setData(data, true);
    }
  }

  /** Lines drawn with at least one point. */
  get lines(): number {
    if (!this.plot) return 0;
    return this.plot.data.slice(1).filter((col) => (col as (number | null)[]).some((v) => v !== null && v !== undefined)).length;
  }

  /** The x values where the line labelled `label` has a point (the page's tests find the k* markers so). */
  xsOf(label: string): number[] {
    if (!this.plot) return [];
    const i = this.plot.series.findIndex((series, j) => j > 0 && series.label === label);
    if (i < 0) return [];
    const col = this.plot.data[i] as (number | null | undefined)[];
    return (this.plot.data[0] as number[]).filter((_, j) => col[j] !== null && col[j] !== undefined);
  }
}

interface BaselineRun {
  method: Method;
  lr?: number;
  clip?: number;
  selected: boolean;
  /** Grid points tried so far, and how many there are. */
  tried: number;
  candidates: number;
  /** Its epochs; with early stopping those of the run on the fit part (testErr: the validation error). */
  history: EpochReport[];
  /** With early stopping: the retraining's epochs (for k*). */
  retrained: EpochReport[];
  stopped?: BaselineStop;
  weights?: RnnWeights;
  yHat?: Float64Array;
  earlyStop?: EarlyStopOutcome;
}

/** The rows a user can click: a trial, the retrained chosen trial, or a baseline. */
type Shown = { kind: 'trial'; index: number } | { kind: 'chosen' } | { kind: 'baseline'; method: Method };

/** A score, or "–" while there is none. */
function fmtScore(v: number | undefined, digits = 4): string {
  return v === undefined ? '–' : fmt(v, digits);
}

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: element #${id} is missing`);
  return e as T;
}

/** The CPU workers a race of `trials` trials uses: one per core, at most one per trial. */
export function cpuWorkers(trials: number): number {
  return Math.max(1, Math.min(trials, navigator.hardwareConcurrency || 2));
}

/** Contiguous slices of the trials, one per worker. */
function slices<T>(items: T[], parts: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / parts);
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The baselines' learning-rate choice of a race: the experiments' quick grid for this data set, or the form's value. */
function learningRate(settings: RaceSettings, dataset: string): LearningRate {
  if (!settings.lr.select) return { select: false, lr: settings.lr.lr, clip: 1 };
  const preset = presetSettings(dataset, 'quick');
  return { select: true, grid: preset.lrGrid, clipGrid: preset.clipGrid };
}

function newWorker(name: string): Worker {
  return new Worker(new URL('./race-worker.ts', import.meta.url), { type: 'module', name });
}

/** One race on the page: its workers, its curves, its tables and its exports. */
export class RaceSession {
  readonly trials: RaceTrial[];
  /** Each trial's iterations (with early stopping: of its run on the fit part, testErr the validation error). */
  private readonly histories: AlmIteration[][];
  /** With early stopping and no selection: each trial's retraining for its k*. */
  private readonly trialRetrained: AlmIteration[][];
  /** The chosen trial's retraining (selection). */
  private retrained: AlmIteration[] = [];
  /** Each trial's TrainErr at its initial weights (and the retrained trial's), the curves' first point. */
  private readonly initialErr = new Map<number, number>();
  private retrainedInitialErr: number | undefined;
  private readonly results = new Map<number, RaceTrialResult>();
  private chosenResult: RaceTrialResult | null = null;
  private readonly baselines = new Map<Method, BaselineRun>();
  private almWorkers: Worker[] = [];
  private baselineWorker: Worker | null = null;
  /** Per ALM worker: the sweeps of its outer iteration in flight, and whether it waits at the pause gate. */
  private inFlight: number[] = [];
  private pausedWorkers = new Set<Worker>();
  /** Pause was pressed and not yet undone by Resume or Stop. */
  private pauseRequested = false;
  private pendingSlices = 0;
  private baselinesPending = false;
  private phase: 'trials' | 'retrain' | 'finished' = 'trials';
  private stopped = false;
  private failed = false;
  private backendInfo: BackendInfo | null = null;
  private activation = 'relu';
  private T = 0;
  private T1 = 0;
  private m = 1;
  private targetName = '';
  /** The data's column names, written into the exported model files as the CLI writes them. */
  private columns: { inputNames: string[]; targetNames: string[] } = { inputNames: [], targetNames: [] };
  private shown: Shown | null = null;
  private readonly startedAt = performance.now();
  private readonly select: boolean;
  private readonly validationSteps: number;
  /** Early stopping's settings (V resolved), or undefined. */
  private readonly earlyStop: EarlyStopOptions | undefined;
  private readonly work: LinesChart;
  private readonly time: LinesChart;
  private readonly fit: LinesChart;
  private ticker: ReturnType<typeof setInterval>;

  constructor(private readonly input: RaceInput, private readonly events: RaceEvents) {
    this.trials = input.trials.map((config, index) => ({ index, config }));
    this.histories = this.trials.map(() => []);
    this.trialRetrained = this.trials.map(() => []);
    this.select = input.settings.select;
    const es = input.settings.earlyStop;
    // Selection and early stopping share one validation split, as in `alm-rnn train`.
    this.validationSteps = es?.validationSteps ?? defaultValidationSteps(input.T1);
    this.earlyStop = es ? { ...es, validationSteps: this.validationSteps } : undefined;
    this.work = new LinesChart(resetContainer('chart-race-work'),
      es ? 'TrainErr (solid) and validation error (dotted, ○ at k*) against iterations: ALM BCD sweeps, baseline epochs'
        : 'TrainErr against iterations: ALM BCD sweeps, baseline epochs (one sweep ≠ one epoch of work)',
      'sweeps (ALM) · epochs (baselines)', es ? 'TrainErr · ValErr' : 'TrainErr');
    this.time = new LinesChart(resetContainer('chart-race-time'), 'TrainErr against wall time (each method from its own start)', 'seconds', 'TrainErr');
    this.fit = new LinesChart(resetContainer('chart-race-fit'), 'True and fitted (test part in orange), first output', 'step t', 'y (standardised)');
    el('race-panel').hidden = false;
    el('single-charts').hidden = true;
    this.drawTable();
    this.drawBaselineTable();
    this.ticker = setInterval(() => this.drawProgress(), 500);
  }

  /** Starts the trials' workers and the baselines' worker. */
  start(): void {
    const { backend, csv, settings } = this.input;
    const parts = backend === 'webgpu' ? [this.trials] : slices(this.trials, cpuWorkers(this.trials.length));
    this.pendingSlices = parts.length;
    this.almWorkers = parts.map((part, w) => {
      const worker = newWorker(`alm-rnn race trials ${w + 1}/${parts.length}`);
      this.listen(worker, w);
      worker.postMessage({
        type: 'alm', trials: part, csv, backend, ...(this.select ? { validationSteps: this.validationSteps } : {}), ...(this.earlyStop ? { earlyStop: this.earlyStop } : {}),
      } satisfies ToRaceWorker);
      return worker;
    });
    this.inFlight = parts.map(() => 0);
    if (settings.baselines.length > 0) {
      const first = this.trials[0].config;
      for (const method of settings.baselines) {
        this.baselines.set(method, { method, selected: settings.lr.select, tried: 0, candidates: 0, history: [], retrained: [] });
      }
      this.baselinesPending = true;
      this.baselineWorker = newWorker('alm-rnn race baselines');
      this.listen(this.baselineWorker, -1);
      this.baselineWorker.postMessage({
        type: 'baselines', config: first, csv, methods: settings.baselines, epochs: settings.epochs,
        sgdBatch: presetSettings(first.dataset, 'quick').sgdBatch, learningRate: learningRate(settings, first.dataset),
        validationSteps: this.validationSteps, ...(this.earlyStop ? { earlyStop: this.earlyStop } : {}),
      } satisfies ToRaceWorker);
    }
    this.events.state('running', `racing ${this.trials.length} trial${this.trials.length === 1 ? '' : 's'}${settings.baselines.length ? ` and ${settings.baselines.join(', ')}` : ''}`);
    this.drawProgress();
  }

  /** The workers still training: the trials' and, until they finish, the baselines'. */
  private liveWorkers(): Worker[] {
    return [...this.almWorkers, ...(this.baselineWorker ? [this.baselineWorker] : [])];
  }

  pause(): void {
    this.pauseRequested = true;
    for (const w of this.liveWorkers()) w.postMessage({ type: 'pause' } satisfies ToRaceWorker);
  }

  resume(): void {
    this.pauseRequested = false;
    for (const w of this.liveWorkers()) w.postMessage({ type: 'resume' } satisfies ToRaceWorker);
  }

  /** Says 'paused' once every worker still training waits at its pause point (a worker may finish instead of pausing). */
  private reportPausedIfHeld(): void {
    const live = this.liveWorkers();
    if (this.pauseRequested && live.length > 0 && live.every((w) => this.pausedWorkers.has(w))) this.events.state('paused', 'paused');
  }

  stop(): void {
    this.pauseRequested = false;
    this.stopped = true;
    for (const w of this.liveWorkers()) w.postMessage({ type: 'stop' } satisfies ToRaceWorker);
  }

  /** Ends every worker at once (a new run, or the page's own end). */
  dispose(): void {
    for (const w of this.almWorkers) w.terminate();
    this.baselineWorker?.terminate();
    this.almWorkers = [];
    this.baselineWorker = null;
    clearInterval(this.ticker);
  }

  private listen(worker: Worker, slot: number): void {
    worker.onmessage = (ev: MessageEvent<FromRaceWorker>) => this.onMessage(worker, slot, ev.data);
    worker.onerror = (ev) => {
      ev.preventDefault();
      this.fail(`A race worker failed: ${ev.message || 'it could not be started'}`);
    };
  }

  private onMessage(worker: Worker, slot: number, msg: FromRaceWorker): void {
    switch (msg.type) {
      case 'alm-started':
        this.backendInfo = msg.backend;
        this.activation = msg.activation;
        this.T = msg.T;
        this.T1 = msg.T1;
        this.m = msg.m;
        this.targetName = msg.targetNames[0] ?? '';
        this.columns = { inputNames: msg.inputNames, targetNames: msg.targetNames };
        break;
      case 'alm-initial':
        for (const { trial, value } of msg.trainErr) {
          if (this.phase === 'retrain') this.retrainedInitialErr = value;
          else this.initialErr.set(trial, value);
        }
        break;
      case 'alm-sweeps':
        if (slot >= 0) this.inFlight[slot] = msg.done;
        break;
      case 'alm-iteration':
        if (slot >= 0) this.inFlight[slot] = 0;
        if (this.phase === 'retrain') this.retrained.push(msg.it);
        else if (msg.stage === 'retrain') this.trialRetrained[msg.trial].push(msg.it);
        else this.histories[msg.trial].push(msg.it);
        this.drawCurves();
        this.drawTable();
        break;
      case 'alm-done':
        this.onAlmDone(worker, msg.results);
        break;
      case 'baseline-candidate': {
        const b = this.baselines.get(msg.method)!;
        b.tried = msg.done;
        b.candidates = msg.total;
        this.drawBaselineTable();
        break;
      }
      case 'baseline-started': {
        const b = this.baselines.get(msg.method)!;
        b.lr = msg.lr;
        b.clip = msg.clip;
        break;
      }
      case 'baseline-epoch': {
        const b = this.baselines.get(msg.method)!;
        (msg.report.stage === 'retrain' ? b.retrained : b.history).push(msg.report);
        this.drawCurves();
        this.drawBaselineTable();
        break;
      }
      case 'baseline-done': {
        const b = this.baselines.get(msg.method)!;
        b.stopped = msg.stopped;
        b.weights = msg.weights;
        b.yHat = msg.yHat;
        b.earlyStop = msg.earlyStop;
        this.drawCurves();
        this.drawBaselineTable();
        this.drawFit();
        break;
      }
      case 'baselines-done':
        this.baselinesPending = false;
        worker.terminate();
        this.baselineWorker = null;
        this.reportPausedIfHeld();
        this.maybeFinish();
        break;
      case 'paused':
        this.pausedWorkers.add(worker);
        this.reportPausedIfHeld();
        break;
      case 'resumed':
        this.pausedWorkers.delete(worker);
        this.events.state('running', 'running');
        break;
      case 'error':
        this.fail(msg.userError ? msg.message : `The race failed: ${msg.message}`);
        break;
      case 'probe-done':
        break;
    }
  }

  private onAlmDone(worker: Worker, results: RaceTrialResult[]): void {
    worker.terminate();
    this.almWorkers = this.almWorkers.filter((w) => w !== worker);
    if (this.phase === 'retrain') {
      this.chosenResult = results[0];
      this.phase = 'finished';
    } else {
      for (const r of results) this.results.set(r.index, r);
      this.pendingSlices--;
      if (this.pendingSlices === 0) {
        if (this.retrainsChosen() && !this.stopped) this.startRetrain();
        else this.phase = 'finished';
      }
    }
    this.drawCurves();
    this.drawTable();
    this.drawFit();
    this.reportPausedIfHeld();
    this.maybeFinish();
  }

  /**
   * Whether the chosen trial is retrained after the selection: with early stopping that keeps
   * the best iterate (restore best) the chosen trial's model is that iterate already.
   */
  private retrainsChosen(): boolean {
    return this.select && this.earlyStop?.restore !== 'best';
  }

  /**
   * Retrains the trial chosen on the validation split on the whole training part (one trial, one
   * worker); with early stopping for its k* outer iterations (a plain run of outer = k* gives the
   * model early stopping's retraining gives).
   */
  private startRetrain(): void {
    this.phase = 'retrain';
    const chosen = this.bestTrial();
    const k = this.results.get(chosen)?.earlyStop?.k;
    const trial = k === undefined ? this.trials[chosen]
      : { ...this.trials[chosen], config: { ...this.trials[chosen].config, params: { ...this.trials[chosen].config.params, outer: Math.max(1, k) } } };
    const worker = newWorker('alm-rnn race: retraining the chosen trial');
    this.almWorkers = [worker];
    this.inFlight = [0];
    this.listen(worker, 0);
    worker.postMessage({ type: 'alm', trials: [trial], csv: this.input.csv, backend: this.input.backend } satisfies ToRaceWorker);
    // A pause asked before the retraining began holds it too.
    if (this.pauseRequested) worker.postMessage({ type: 'pause' } satisfies ToRaceWorker);
  }

  private maybeFinish(): void {
    if (this.failed || this.phase !== 'finished' || this.baselinesPending) return;
    clearInterval(this.ticker);
    this.drawProgress();
    updateExportButtons(this);
    const best = this.bestTrial();
    const r = this.chosenResult ?? this.results.get(best);
    const es = this.results.get(best)?.earlyStop;
    const kept = es ? (es.restore === 'best' ? ', its best iterate kept' : `, retrained for k* = ${es.k}`) : ', retrained';
    const how = this.select ? `trial ${best} chosen on the validation split (ValErr ${fmtScore(this.results.get(best)?.valErr)})${kept}`
      : es ? `best trial ${best} by ValErr (${fmtScore(es.valErr)})${kept}` : `best trial ${best} by TrainErr`;
    const early = es ? `; early stopping: k* = ${es.k}, the fit run stopped at ${es.stoppedAt} of ${this.trials[best].config.params.outer}` : '';
    const text = `${this.stopped ? 'stopped' : 'finished'}: ${this.trials.length} trials on ${this.backendInfo?.description ?? this.input.backend}; ${how}: `
      + `TrainErr ${fmtScore(r?.summary.trainErr)}, TestErr ${fmtScore(r?.summary.testErr)}${early}`;
    this.events.state(this.stopped ? 'stopped' : 'done', text);
  }

  private fail(text: string): void {
    if (this.failed) return;
    this.failed = true;
    this.dispose();
    this.events.error(text);
  }

  /**
   * The best trial so far: the lowest validation score once known, else the lowest (latest)
   * TrainErr; with early stopping, the lowest validation error (as `alm-rnn train` marks it).
   */
  bestTrial(): number {
    if ((this.select || this.earlyStop) && this.results.size === this.trials.length) {
      return lowestScore(this.trials.map((t) => this.results.get(t.index)!.valErr ?? Infinity));
    }
    if (this.earlyStop) return lowestScore(this.histories.map((h) => this.liveKStar(h)?.valErr ?? Infinity));
    return lowestScore(this.trials.map((t) => {
      const r = this.results.get(t.index);
      if (r && !this.select) return r.summary.trainErr;
      const h = this.histories[t.index];
      return h.length > 0 ? h[h.length - 1].trainErr : Infinity;
    }));
  }

  private chosen(): Shown {
    return this.chosenResult ? { kind: 'chosen' } : { kind: 'trial', index: this.bestTrial() };
  }

  /** k* of a fit run so far (early stopping's argmin of the validation error) and its index in `h`. */
  private liveKStar(h: AlmIteration[]): { k: number; valErr: number; index: number } | null {
    const i = argminValidation(h.map((it) => it.testErr));
    return i < 0 ? null : { k: h[i].k, valErr: h[i].testErr, index: i };
  }

  /** Whether the final models are retrained for k* after the fit runs (early stopping without restore best). */
  private retrainsForKStar(): boolean {
    return this.earlyStop !== undefined && this.earlyStop.restore !== 'best';
  }

  private drawCurves(): void {
    const best = this.bestTrial();
    const work: Line[] = [];
    const time: Line[] = [];
    const almLine = (label: string, h: AlmIteration[], initial: number | undefined, stroke: string, width: number): void => {
      let sweeps = 0;
      const start = initial === undefined ? [] : [positive(initial)];
      const xs = [...(initial === undefined ? [] : [0]), ...h.map((it) => (sweeps += it.sweeps))];
      const ys = [...start, ...h.map((it) => positive(it.trainErr))];
      work.push({ label, stroke, width, xs, ys });
      time.push({ label, stroke, width, xs: [...(initial === undefined ? [] : [0]), ...h.map((it) => it.seconds)], ys });
    };
    // With early stopping: each fit run's validation curve (its testErr), and k* marked on it (the
    // outcome's once known, the argmin so far before); only the work plot, whose x counts iterations.
    const validation = (name: string, xs: number[], ys: number[], ks: number[], k: number | undefined, stroke: string): void => {
      const live = argminValidation(ys);
      const at = k !== undefined ? ks.indexOf(k) : live;
      work.push({ label: `${name} ValErr`, stroke, width: 1.25, dash: [2, 3], xs, ys: ys.map(positive) });
      if (at >= 0) work.push({ label: `k* ${name}`, stroke, width: 2, marker: true, xs: [xs[at]], ys: [positive(ys[at])] });
    };
    // With a retrained chosen trial (or each trial retrained for its k*), that is the bold one; the fit runs stay faint.
    const boldTrial = (this.earlyStop ? this.retrainsForKStar() : this.select) ? -1 : best;
    const fitPart = this.select || this.earlyStop;
    this.trials.forEach((t, i) => {
      const c = t.config;
      const h = this.histories[i];
      almLine(`${i === best ? '★ ' : ''}#${i} ${c.init} τ${c.params.tau} s${c.seed}${fitPart ? ' (fit part)' : ''}`, h, this.initialErr.get(i),
        i === boldTrial ? TRIAL_BOLD : TRIAL_FAINT, i === boldTrial ? 3 : 1.25);
      if (this.earlyStop) {
        let sweeps = 0;
        validation(`#${i}`, h.map((it) => (sweeps += it.sweeps)), h.map((it) => it.testErr), h.map((it) => it.k), this.results.get(i)?.earlyStop?.k, i === best ? TRIAL_BOLD : TRIAL_FAINT);
      }
    });
    if (this.select && this.retrained.length > 0) almLine(`★ #${best} retrained${this.earlyStop ? ' for k*' : ''}`, this.retrained, this.retrainedInitialErr, TRIAL_BOLD, 3);
    if (!this.select && this.trialRetrained[best].length > 0) almLine(`★ #${best} retrained for k*`, this.trialRetrained[best], undefined, TRIAL_BOLD, 3);
    for (const b of this.baselines.values()) {
      const stroke = BASELINE_COLORS[b.method];
      const label = `${b.method}${b.lr !== undefined ? ` η=${b.lr}` : ''}${this.earlyStop ? ' (fit part)' : ''}`;
      const ys = b.history.map((e) => positive(e.trainErr));
      work.push({ label, stroke, width: 2, dash: [6, 3], xs: b.history.map((e) => e.epoch), ys });
      time.push({ label, stroke, width: 2, dash: [6, 3], xs: b.history.map((e) => e.seconds), ys });
      if (this.earlyStop) {
        // Epoch 0 (the initial weights) is no evaluation of the rule: k* is among the others.
        const scored = b.history.filter((e) => e.epoch > 0);
        validation(b.method, scored.map((e) => e.epoch), scored.map((e) => e.testErr), scored.map((e) => e.epoch), b.earlyStop?.k, stroke);
        if (b.retrained.length > 0) {
          const r = b.retrained;
          const name = `${b.method} retrained for k*`;
          work.push({ label: name, stroke, width: 3, xs: r.map((e) => e.epoch), ys: r.map((e) => positive(e.trainErr)) });
          time.push({ label: name, stroke, width: 3, xs: r.map((e) => e.seconds), ys: r.map((e) => positive(e.trainErr)) });
        }
      }
    }
    this.work.draw(work);
    this.time.draw(time);
  }

  /**
   * What the fit plot shows: the row the user clicked, else the chosen (★) trial as it stands now.
   * Never fixed on its own: the first slice of trials to finish need not hold the best one, and
   * the plot must follow the ★ when a later slice overtakes it.
   */
  private displayed(): Shown {
    return this.shown ?? this.chosen();
  }

  private drawFit(): void {
    const shown = this.displayed();
    let yHat: Float64Array | undefined;
    let y: Float64Array | undefined;
    let label = '';
    if (shown.kind === 'baseline') {
      const b = this.baselines.get(shown.method);
      yHat = b?.yHat;
      y = this.results.get(0)?.y;
      label = shown.method;
    } else {
      const r = shown.kind === 'chosen' ? this.chosenResult : this.results.get(shown.index);
      yHat = r?.yHat;
      y = r?.y;
      label = shown.kind === 'chosen' ? 'chosen, retrained' : `trial #${shown.index}`;
    }
    if (!y || !yHat) {
      // The trial to show has not finished: an empty plot, not the last one drawn under another name.
      this.fit.draw([], false);
      return;
    }
    // The whole series, so that a short test part (synthetic-small has one step) is seen in context; the test part in its own colour.
    const xs: number[] = [];
    const truth: (number | null)[] = [];
    const fittedTrain: (number | null)[] = [];
    const fittedTest: (number | null)[] = [];
    for (let t = 0; t < this.T; t++) {
      xs.push(t + 1);
      truth.push(y[t * this.m]);
      const v = finite(yHat[t * this.m]);
      fittedTrain.push(t < this.T1 ? v : null);
      fittedTest.push(t >= this.T1 ? v : null);
    }
    const points = this.T - this.T1 < 30;
    this.fit.draw([
      { label: `true ${shortName(this.targetName)}`, stroke: '#222', width: 1.5, xs, ys: truth, points },
      { label: `fitted, training part`, stroke: '#74a7f0', width: 1.5, xs, ys: fittedTrain },
      { label: `fitted on the test part: ${label}`, stroke: '#d9480f', width: 2.5, xs, ys: fittedTest, points },
    ], false);
  }

  private show(shown: Shown): void {
    this.shown = shown;
    this.drawTable();
    this.drawBaselineTable();
    this.drawFit();
  }

  private drawTable(): void {
    const table = el<HTMLTableElement>('race-trials');
    const es = this.earlyStop !== undefined;
    const head = ['#', 'init', 'τ', 'seed', ...(this.select || es ? ['ValErr'] : []), ...(es ? ['k*', 'stopped at'] : []), 'TrainErr', 'TestErr', 'FeasVio', 'outer', 'sweeps', 'stop'];
    table.tHead!.replaceChildren(row(head, 'th'));
    const best = this.bestTrial();
    const shown = this.displayed();
    const rows = this.trials.map((t, i) => {
      const r = this.results.get(i);
      const h = this.histories[i];
      const last = h[h.length - 1];
      const c = t.config;
      const live = es ? this.liveKStar(h) : null;
      // A fit run's "TestErr" is its validation error: the test part is only scored for a final model.
      const testErr = es && !r?.earlyStop ? '–' : es && this.select && r?.earlyStop?.restore === 'retrain' ? '–' : fmtScore(r?.summary.testErr ?? last?.testErr);
      const cells = [String(i), c.init, String(c.params.tau), String(c.seed), ...(this.select || es ? [fmtScore(r?.valErr ?? live?.valErr)] : []),
        ...(es ? [String(r?.earlyStop?.k ?? live?.k ?? '–'), String(r?.earlyStop?.stoppedAt ?? '–')] : []),
        fmtScore(r?.summary.trainErr ?? last?.trainErr), testErr, fmtScore(r?.summary.feasVio ?? last?.feasVio),
        String(r?.summary.outerIterations ?? last?.k ?? 0), String(r?.summary.sweeps ?? h.reduce((sum, it) => sum + it.sweeps, 0)),
        r ? (r.failure ? `failed: ${r.failure}` : r.summary.stopReason) : this.trialRetrained[i].length > 0 ? 'retraining for k*' : 'running'];
      const tr = row(cells, 'td');
      tr.dataset.trial = String(i);
      tr.classList.toggle('best', i === best);
      tr.classList.toggle('shown', shown.kind === 'trial' && shown.index === i);
      tr.addEventListener('click', () => this.show({ kind: 'trial', index: i }));
      return tr;
    });
    if (this.select && (this.retrained.length > 0 || this.chosenResult)) {
      const r = this.chosenResult;
      const last = this.retrained[this.retrained.length - 1];
      const c = this.trials[best].config;
      const k = this.results.get(best)?.earlyStop?.k;
      const tr = row([`★${best}`, c.init, String(c.params.tau), String(c.seed), 'retrained', ...(es ? [String(k ?? '–'), '–'] : []), fmtScore(r?.summary.trainErr ?? last?.trainErr),
        fmtScore(r?.summary.testErr ?? last?.testErr), fmtScore(r?.summary.feasVio ?? last?.feasVio), String(r?.summary.outerIterations ?? last?.k ?? 0),
        String(r?.summary.sweeps ?? 0), r ? r.summary.stopReason : 'running'], 'td');
      tr.className = 'best chosen-row';
      tr.classList.toggle('shown', shown.kind === 'chosen');
      tr.addEventListener('click', () => this.show({ kind: 'chosen' }));
      rows.push(tr);
    }
    table.tBodies[0].replaceChildren(...rows);
  }

  private drawBaselineTable(): void {
    const table = el<HTMLTableElement>('race-baselines');
    const es = this.earlyStop !== undefined;
    table.tHead!.replaceChildren(row(['method', 'learning rate', ...(es ? ['ValErr', 'k*', 'stopped at'] : []), 'TrainErr', 'TestErr', 'epochs', 'seconds', 'stop'], 'th'));
    table.tBodies[0].replaceChildren(...[...this.baselines.values()].map((b) => {
      // With early stopping the final model's epochs are the retraining's; the fit run's TestErr is its validation error.
      const final = es ? b.retrained[b.retrained.length - 1] : undefined;
      const last = final ?? b.history[b.history.length - 1];
      const scored = es ? b.history.filter((e) => e.epoch > 0) : [];
      const live = es ? argminValidation(scored.map((e) => e.testErr)) : -1;
      const lr = b.lr !== undefined ? `${b.lr}${b.clip !== undefined ? `, clip ${b.clip}` : ''}${b.selected ? ' (selected)' : ''}`
        : `selecting ${b.tried}/${b.candidates || '?'}`;
      const tr = row([b.method, lr,
        ...(es ? [fmtScore(b.earlyStop?.valErr ?? scored[live]?.testErr), String(b.earlyStop?.k ?? scored[live]?.epoch ?? '–'), String(b.earlyStop?.stoppedAt ?? '–')] : []),
        fmtScore(last?.trainErr), es && !final ? '–' : fmtScore(last?.testErr), String(last?.epoch ?? 0), fmtScore(last?.seconds, 3),
        b.stopped ?? (b.lr === undefined ? 'selecting' : b.retrained.length > 0 ? 'retraining for k*' : 'running')], 'td');
      tr.dataset.method = b.method;
      tr.classList.toggle('shown', this.shown?.kind === 'baseline' && this.shown.method === b.method);
      tr.addEventListener('click', () => this.show({ kind: 'baseline', method: b.method }));
      return tr;
    }));
  }

  private drawProgress(): void {
    const { outer, inner } = this.trials[0].config.params;
    const k = Math.max(0, ...(this.phase === 'retrain' ? [this.retrained.length] : this.histories.map((h) => h.length)));
    const flight = Math.max(0, ...this.inFlight);
    const phases = this.retrainsChosen() ? 2 : 1;
    const phaseDone = this.phase === 'finished' ? phases : this.phase === 'retrain' ? 1 : 0;
    const almFraction = this.phase === 'finished' ? 1 : Math.min(1, (phaseDone + (k * inner + (k < outer ? flight : 0)) / (outer * inner)) / phases);
    const epochs = this.input.settings.epochs;
    let baseFraction = 1;
    const baseParts: string[] = [];
    if (this.baselines.size > 0) {
      let sum = 0;
      for (const b of this.baselines.values()) {
        const cands = b.selected ? Math.max(b.candidates, 1) : 0;
        const last = b.history[b.history.length - 1]?.epoch ?? 0;
        const f = b.stopped ? 1 : (b.tried + last / epochs) / (cands + 1);
        sum += f;
        baseParts.push(b.stopped ? `${b.method} done` : b.lr === undefined ? `${b.method} selecting η ${b.tried + 1}/${b.candidates || '?'}` : `${b.method} epoch ${last}/${epochs}`);
      }
      baseFraction = sum / this.baselines.size;
    }
    const fraction = this.baselines.size > 0 ? (almFraction + baseFraction) / 2 : almFraction;
    const phase = this.phase === 'retrain' ? ' (retraining the chosen trial)' : (this.select || this.earlyStop) && this.phase === 'trials' ? ' (on the fit part)' : '';
    const elapsed = (performance.now() - this.startedAt) / 1000;
    this.events.progress(fraction,
      `${this.trials.length} trials: outer ${Math.min(k, outer)}/${outer}${phase}` +
      (baseParts.length ? ` · baselines: ${baseParts.join(', ')}` : '') + ` · ${fmtSeconds(elapsed)} elapsed`);
  }

  /** The chosen model: the retrained one when the race selects, else the trial with the lowest TrainErr. */
  chosenModel(): { name: string; text: string } | null {
    const best = this.bestTrial();
    const r = this.chosenResult ?? (this.retrainsChosen() ? null : this.results.get(best));
    if (!r) return null;
    return { name: `alm-rnn-model-${slug(this.input.trials[0].dataset)}-${trialFileName(this.trials[best].config)}.json`, text: modelFileText(r.weights, this.activation, { standardization: r.standardization, ...this.columns }) };
  }

  /** Every trial's model, named as `alm-rnn train --out DIR/` names them. */
  allModels(): { name: string; text: string }[] {
    return this.trials.flatMap((t) => {
      const r = this.results.get(t.index);
      return r ? [{ name: `${trialFileName(t.config)}.json`, text: modelFileText(r.weights, this.activation, { standardization: r.standardization, ...this.columns }) }] : [];
    });
  }

  /** The race's outcome as JSON: each trial's settings and scores, the chosen one, the baselines with their curves. */
  resultsJson(): string {
    const best = this.bestTrial();
    const nums = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
    return JSON.stringify({
      backend: this.backendInfo,
      config: this.trials[0].config,
      selection: this.select ? { validationSteps: this.validationSteps, chosen: best } : { by: this.earlyStop ? 'ValErr' : 'TrainErr', chosen: best },
      // With early stopping each trial's (and baseline's) history is its run on the fit part, its testErr the validation error.
      ...(this.earlyStop ? { earlyStop: this.earlyStop } : {}),
      trials: this.trials.map((t) => {
        const r = this.results.get(t.index);
        return {
          trial: t.index, init: t.config.init, tau: t.config.params.tau, seed: t.config.seed, initialTrainErr: this.initialErr.get(t.index),
          ...(r ? { ...r.summary, valErr: r.valErr, ...(r.earlyStop ? { earlyStop: r.earlyStop } : {}) } : {}), history: this.histories[t.index],
          ...(this.trialRetrained[t.index].length > 0 ? { retrainedHistory: this.trialRetrained[t.index] } : {}),
        };
      }),
      ...(this.chosenResult ? { retrained: { ...this.chosenResult.summary, history: this.retrained } } : {}),
      baselines: [...this.baselines.values()].map((b) => ({
        method: b.method, lr: b.lr, clip: b.clip, selected: b.selected, stopped: b.stopped, history: b.history,
        ...(b.earlyStop ? { earlyStop: b.earlyStop } : {}), ...(b.retrained.length > 0 ? { retrainedHistory: b.retrained } : {}),
      })),
    }, nums, 1) + '\n';
  }

  finished(): boolean {
    return this.phase === 'finished' && !this.baselinesPending;
  }

  /**
   * For the page's tests, with early stopping: each trial's and baseline's k* (the outcome's),
   * where its marker is drawn (x on the work plot), where k* lies on that axis (the trial's
   * sweeps after k* outer iterations, the baseline's epoch), and its validation curve's points.
   */
  earlyStopCounts(): { trials: EarlyStopCount[]; baselines: Record<string, EarlyStopCount> } | null {
    if (!this.earlyStop) return null;
    const count = (name: string, k: number | undefined, xAtK: number | undefined): EarlyStopCount => ({
      k: k ?? null, marker: this.work.xsOf(`k* ${name}`), xAtK: xAtK ?? null, valPoints: this.work.xsOf(`${name} ValErr`).length,
    });
    return {
      trials: this.trials.map((_, i) => {
        const k = this.results.get(i)?.earlyStop?.k;
        const h = this.histories[i];
        return count(`#${i}`, k, k === undefined ? undefined : h.slice(0, k).reduce((sum, it) => sum + it.sweeps, 0));
      }),
      baselines: Object.fromEntries([...this.baselines.values()].map((b) => [b.method, count(b.method, b.earlyStop?.k, b.earlyStop?.k)])),
    };
  }

  /** For the page's tests: curves drawn, table rows, baseline points. */
  counts(): { trialCurves: number; workLines: number; timeLines: number; rows: number; baselinePoints: Record<string, number>; best: number; finished: boolean } {
    return {
      trialCurves: this.histories.filter((h) => h.length > 0).length,
      workLines: this.work.lines,
      timeLines: this.time.lines,
      rows: el<HTMLTableElement>('race-trials').tBodies[0].querySelectorAll('tr[data-trial]').length,
      baselinePoints: Object.fromEntries([...this.baselines.values()].map((b) => [b.method, b.history.length])),
      best: this.bestTrial(),
      finished: this.finished(),
    };
  }
}

/** One run's k* on the race's work plot (RaceSession.earlyStopCounts). */
export interface EarlyStopCount {
  k: number | null;
  marker: number[];
  xAtK: number | null;
  valPoints: number;
}

function row(cells: string[], tag: 'td' | 'th'): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const cell = document.createElement(tag);
    cell.textContent = c;
    tr.append(cell);
  }
  return tr;
}

/** Empties a chart's container (a new race draws from scratch). */
function resetContainer(id: string): HTMLElement {
  const c = el(id);
  c.replaceChildren();
  return c;
}

function updateExportButtons(race: RaceSession): void {
  el<HTMLButtonElement>('btn-race-export-chosen').disabled = race.chosenModel() === null;
  el<HTMLButtonElement>('btn-race-export-all').disabled = race.allModels().length === 0;
  el<HTMLButtonElement>('btn-race-export-results').disabled = false;
}

/** Wires the race's export buttons to whatever race `current` returns. */
export function wireRaceExports(current: () => RaceSession | null): void {
  el('btn-race-export-chosen').addEventListener('click', () => {
    const model = current()?.chosenModel();
    if (model) download(model.name, model.text);
  });
  el('btn-race-export-all').addEventListener('click', () => {
    for (const model of current()?.allModels() ?? []) download(model.name, model.text);
  });
  el('btn-race-export-results').addEventListener('click', () => {
    const race = current();
    if (race) download(`alm-rnn-race-${slug(race.trials[0].config.dataset)}.json`, race.resultsJson());
  });
}

/** The time estimate of a race on this device, from a few timed sweeps and epochs. */
export interface RaceEstimate {
  seconds: number;
  text: string;
}

type ProbeDone = Extract<FromRaceWorker, { type: 'probe-done' }>;

/** Runs one probe in a worker of its own; resolves with its answer and its round trip in seconds. */
function probeIn(name: string, msg: Extract<ToRaceWorker, { type: 'probe' }>, signal?: AbortSignal): Promise<{ done: ProbeDone; roundTrip: number }> {
  return new Promise((resolve, reject) => {
    const sent = performance.now();
    const worker = newWorker(name);
    signal?.addEventListener('abort', () => {
      worker.terminate();
      reject(new Error('the estimate was cancelled'));
    });
    worker.onerror = (ev) => {
      ev.preventDefault();
      worker.terminate();
      reject(new Error(ev.message || 'the timing worker could not be started'));
    };
    worker.onmessage = (ev: MessageEvent<FromRaceWorker>) => {
      const answer = ev.data;
      if (answer.type === 'error') {
        worker.terminate();
        reject(new Error(answer.message));
      } else if (answer.type === 'probe-done') {
        worker.terminate();
        resolve({ done: answer, roundTrip: (performance.now() - sent) / 1000 });
      }
    };
    worker.postMessage(msg);
  });
}

/**
 * Times the race in its own layout, all workers at once (so that they contend for the cores as
 * the race will): a few sweeps of every worker's slice of the trials (the whole batch on WebGPU)
 * and a few epochs of each baseline in the baselines' worker; then scales them to the caps.
 */
export async function estimateRace(input: RaceInput, signal?: AbortSignal): Promise<RaceEstimate> {
  const { backend, settings, csv } = input;
  const trials = input.trials.map((config, index) => ({ index, config }));
  const parts = backend === 'webgpu' ? [trials] : slices(trials, cpuWorkers(trials.length));
  const dataset = trials[0].config.dataset;
  const sweeps = 4;
  const probes = parts.map((part, w) => probeIn(`alm-rnn race: timing trials ${w + 1}/${parts.length}`, { type: 'probe', trials: part, csv, backend, sweeps }, signal));
  if (settings.baselines.length > 0) {
    probes.push(probeIn('alm-rnn race: timing baselines', {
      type: 'probe', trials: [], csv, backend, sweeps,
      baselines: { config: trials[0].config, methods: settings.baselines, sgdBatch: presetSettings(dataset, 'quick').sgdBatch },
    }, signal));
  }
  const answers = await Promise.all(probes);
  const { outer, inner } = trials[0].config.params;
  // Starting a worker (its module, the WebAssembly kernels): paid once, the workers start side by side.
  const startup = Math.max(...answers.map((a) => Math.max(0, a.roundTrip - a.done.busySeconds)));
  const almAnswers = answers.slice(0, parts.length).map((a) => a.done);
  const sliceSeconds = almAnswers.map((d) => d.loadSeconds + outer * (inner * d.sweepSeconds + d.outerOverheadSeconds));
  let alm = startup + Math.max(...sliceSeconds);
  const slowest = almAnswers[sliceSeconds.indexOf(Math.max(...sliceSeconds))];
  const sliceSize = parts[sliceSeconds.indexOf(Math.max(...sliceSeconds))].length;
  if (settings.select) {
    // The chosen trial is retrained alone: on the CPU one trial's share of a slice, on WebGPU a batch of one costs about a batch.
    const share = backend === 'webgpu' ? 1 : 1 / sliceSize;
    alm += startup + slowest.loadSeconds * share + outer * (inner * slowest.sweepSeconds + slowest.outerOverheadSeconds) * share;
  }
  const lr = learningRate(settings, dataset);
  let base = 0;
  const baseParts: string[] = [];
  const epochSeconds = answers.length > parts.length ? answers[parts.length].done.epochSeconds : {};
  for (const method of settings.baselines) {
    const cands = lr.select ? (method === 'gdc' ? lr.grid.length * lr.clipGrid.length : lr.grid.length) : 0;
    const s = (epochSeconds[method] ?? 0) * settings.epochs * (cands + 1);
    base += s;
    baseParts.push(`${method} ${fmtDuration(s)}${cands ? ` (${cands} learning rates tried first)` : ''}`);
  }
  if (settings.baselines.length > 0) base += startup;
  const seconds = Math.max(alm, base);
  const text = `Estimated on this device (${slowest.backend?.description ?? backend}): ${trials.length} trial${trials.length === 1 ? '' : 's'} × ${outer} × ${inner} sweeps`
    + `${settings.select ? ' and the retraining' : ''} ≈ ${fmtDuration(alm)} (${fmtDuration(slowest.sweepSeconds)} per sweep of ${sliceSize} trial${sliceSize === 1 ? '' : 's'}`
    + `${parts.length > 1 ? `, ${parts.length} workers` : ''}${slowest.loadSeconds > 1 ? `, set-up ${fmtDuration(slowest.loadSeconds)}` : ''})`
    + (baseParts.length ? `; baselines alongside: ${baseParts.join(', ')}` : '') + `; about ${fmtDuration(seconds)} in all, with ${fmtDuration(startup)} to start the workers.`;
  return { seconds, text };
}

/** A duration as the estimate writes it ("84 ms", "3 min 20 s"). */
export function fmtDuration(s: number): string {
  return fmtSeconds(s, true);
}
