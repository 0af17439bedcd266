// End to end: wall time for the ALM (on each backend) and for the best gradient baseline to
// reach a target TestErr on the same data, each trained through the package's public API as a
// user would (`train({ ...loadDataset(name) })` is what `alm-rnn train --dataset NAME` computes:
// same data, same seeded initial weights).
import { INITIALIZERS, METHODS, train, trainBaseline, type BcdBackend, type Initializer, type Method } from 'alm-rnn';
import { loadDataset } from 'alm-rnn/datasets';
import { withHeartbeat } from './progress.ts';
import type { PaperDataset } from './sizes.ts';
import type { BackendKind, EndToEndResult, EndToEndRun } from './types.ts';

/** The gradient baseline to compare with, and where its settings came from. */
export interface BaselineChoice {
  method: Method;
  init: Initializer;
  lr: number;
  clip?: number;
  /** The experiment's epoch budget (before the harness's cap). */
  epochs: number;
  sgdBatch?: number;
  momentum?: number;
  /** E.g. "bench/results/experiments/sp500/results.json: lowest validation error of 25 selections (gdc/he)". */
  source: string;
  /** The next selections by validation error, tried in turn when this one diverges from the run's weights. */
  alternatives?: Array<Omit<BaselineChoice, 'source' | 'alternatives'>>;
}

/**
 * Best-known settings per paper data set, for runs without the experiment runner's results
 * (the demo page): the selections with the lowest validation error in
 * bench/results/experiments/<data set>/results.json when this was written.
 */
export const FALLBACK_BASELINES: Readonly<Record<PaperDataset, Omit<BaselineChoice, 'source'>>> = Object.freeze({
  'synthetic-small': { method: 'gdc', init: 'lecun', lr: 1, clip: 6, epochs: 500 },
  sp500: { method: 'gdc', init: 'he', lr: 0.1, clip: 1.5, epochs: 5000 },
  'synthetic-large': { method: 'adam', init: 'normal-1e-1', lr: 0.01, epochs: 1000 },
});

/** The experiment runner's results.json, as far as the choice needs it. */
interface ExperimentFile {
  spec?: { dataset?: string; baseline?: { epochs?: number; sgdBatch?: number; momentum?: number; regularization?: string } };
  status?: string;
  selections?: Array<{ key?: string; method?: string; init?: string; lr?: number; clip?: number; valErr?: number | null }>;
}

/**
 * The best gradient baseline of an experiment's results (lowest validation error over every
 * method × initialisation selected, as the runner scores them; the test part plays no part),
 * or undefined when the file has none for `dataset`.
 */
export function bestBaselineFrom(json: unknown, dataset: string, source: string): BaselineChoice | undefined {
  const f = json as ExperimentFile;
  if (f?.spec?.dataset !== dataset || !Array.isArray(f.selections)) return undefined;
  const valid = f.selections.filter(
    (s) => typeof s.valErr === 'number' && Number.isFinite(s.valErr) && (METHODS as readonly string[]).includes(s.method ?? '') &&
      (INITIALIZERS as readonly string[]).includes(s.init ?? '') && typeof s.lr === 'number',
  );
  if (valid.length === 0) return undefined;
  const sorted = [...valid].sort((a, b) => (a.valErr as number) - (b.valErr as number));
  const best = sorted[0];
  const b = f.spec.baseline ?? {};
  const choice = (x: (typeof valid)[number]): Omit<BaselineChoice, 'source' | 'alternatives'> => ({
    method: x.method as Method,
    init: x.init as Initializer,
    lr: x.lr as number,
    ...(x.clip !== undefined ? { clip: x.clip } : {}),
    epochs: b.epochs ?? FALLBACK_BASELINES[dataset as PaperDataset]?.epochs ?? 1000,
    ...(b.sgdBatch !== undefined ? { sgdBatch: b.sgdBatch } : {}),
    ...(b.momentum !== undefined ? { momentum: b.momentum } : {}),
  });
  return {
    ...choice(best),
    alternatives: sorted.slice(1, 3).map(choice),
    source: `${source}: lowest validation error of ${valid.length} selection${valid.length > 1 ? 's' : ''}` +
      ` (${best.method}/${best.init}, val ${(best.valErr as number).toPrecision(4)})${f.status && f.status !== 'complete' ? `, experiment ${f.status}` : ''}`,
  };
}

/** "GDC lr=0.1 clip=1.5 (he)". */
export function baselineLabel(b: Omit<BaselineChoice, 'source' | 'alternatives'>): string {
  return `${b.method.toUpperCase()} lr=${b.lr}${b.clip !== undefined ? ` clip=${b.clip}` : ''} (${b.init})`;
}

/** The fallback choice for a data set, saying it is one. */
export function fallbackBaseline(dataset: PaperDataset): BaselineChoice {
  return { ...FALLBACK_BASELINES[dataset], source: 'built-in settings (no experiment results read)' };
}

/** Options of runEndToEnd. */
export interface EndToEndOptions {
  dataset: PaperDataset;
  /** ALM caps (outer × inner sweeps). */
  outer: number;
  inner: number;
  /** Baseline epochs at most (the experiment's budget is capped to this). */
  maxEpochs: number;
  /** Wall seconds each run may take. */
  seconds: number;
  /** The ALM's backends, created on demand. */
  backends: Array<{ kind: BackendKind; create: () => Promise<BcdBackend>; skipped?: string }>;
  baseline: BaselineChoice;
  /** A fixed target TestErr; default: 1.05 × the worse of the best TestErr of ALM (first backend) and the baseline. */
  target?: number;
  log: (line: string) => void;
}

const CURVE_POINTS = 150;

function thin<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.round((i * (xs.length - 1)) / (max - 1))]);
  return out;
}

interface Trace {
  /** (seconds since the run's start, iterations so far, TestErr, TrainErr) at each evaluation. */
  points: Array<{ s: number; it: number; test: number; train: number }>;
  iterations: number;
  seconds: number;
  timeCapped: boolean;
}

/** Runs the comparison; a failing run is reported, not thrown. */
export async function runEndToEnd(o: EndToEndOptions): Promise<EndToEndResult> {
  const data = loadDataset(o.dataset);
  const params = { ...data.params, outer: o.outer, inner: o.inner };
  const traces: Array<{ run: Omit<EndToEndRun, 'secondsToTarget' | 'iterationsToTarget' | 'curve'> & { diverged?: boolean }; trace?: Trace }> = [];
  let trainSteps = 0;

  for (const b of o.backends) {
    const label = `ALM (${b.kind})`;
    if (b.skipped) {
      traces.push({ run: { ...emptyRun(label, 'alm', b.kind), status: 'skipped', note: b.skipped } });
      continue;
    }
    o.log(`  end-to-end: ${label}, ${o.outer}×${o.inner} sweeps, at most ${o.seconds} s`);
    const trace: Trace = { points: [], iterations: 0, seconds: 0, timeCapped: false };
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), o.seconds * 1000);
    let backend: BcdBackend | undefined;
    try {
      backend = await b.create();
      const t0 = performance.now();
      let sweeps = 0;
      const res = await withHeartbeat(train({
        ...data, params, init: 'normal-1e-1', seed: 1, backend, signal: ac.signal,
        onIteration: (it) => {
          sweeps += it.sweeps;
          trace.points.push({ s: (performance.now() - t0) / 1000, it: sweeps, test: it.testErr, train: it.trainErr });
        },
      }), `training ${label}`, o.log);
      trainSteps = res.trainSteps;
      trace.iterations = res.sweeps;
      trace.seconds = (performance.now() - t0) / 1000;
      trace.timeCapped = res.stopReason === 'stopped' && res.outerIterations < params.outer;
      traces.push({ run: summary(label, 'alm', b.kind, trace, res.outerIterations === 0 ? 'no outer iteration finished within the time cap' : undefined), trace });
    } catch (e) {
      traces.push({ run: { ...emptyRun(label, 'alm', b.kind), status: 'failed', note: `failed: ${(e as Error).message}` } });
    } finally {
      clearTimeout(timer);
      backend?.dispose();
    }
  }

  // The baseline: the best selection, or the next ones in turn when it diverges from these
  // weights (a learning rate chosen on other seeds can), all within one time cap.
  const candidates = [o.baseline, ...(o.baseline.alternatives ?? [])];
  const diverged: string[] = [];
  const blStart = performance.now();
  for (const bl of candidates) {
    const left = o.seconds - (performance.now() - blStart) / 1000;
    const epochs = Math.min(bl.epochs, o.maxEpochs);
    const blLabel = baselineLabel(bl);
    const last = bl === candidates[candidates.length - 1];
    if (left <= 0) {
      traces.push({ run: { ...emptyRun(blLabel, bl.method, 'cpu'), status: 'skipped', note: `no time left after ${diverged.join(', ')} diverged` } });
      break;
    }
    o.log(`  end-to-end: ${blLabel}, ${epochs} epochs, at most ${left.toFixed(0)} s`);
    const trace: Trace = { points: [], iterations: 0, seconds: 0, timeCapped: false };
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), left * 1000);
    try {
      const t0 = performance.now();
      const { params: _alm, ...series } = data;
      const res = await withHeartbeat(trainBaseline({
        ...series, method: bl.method, learningRate: bl.lr,
        ...(bl.method === 'gdc' ? { clip: bl.clip } : {}),
        ...(bl.method === 'gdnm' ? { momentum: bl.momentum ?? 0.9 } : {}),
        ...(bl.method === 'sgd' && bl.sgdBatch !== undefined ? { batch: bl.sgdBatch } : {}),
        epochs, init: bl.init, seed: 1, testHidden: 'carry', signal: ac.signal,
        onEpoch: (e) => {
          if (e.epoch > 0) trace.points.push({ s: (performance.now() - t0) / 1000, it: e.epoch, test: e.testErr, train: e.trainErr });
        },
      }), `training ${blLabel}`, o.log);
      trainSteps = res.trainSteps;
      trace.iterations = res.epochs;
      trace.seconds = (performance.now() - t0) / 1000;
      trace.timeCapped = res.stopReason === 'aborted';
      if (res.stopReason === 'diverged' && !last) {
        diverged.push(`${blLabel} (at epoch ${trace.iterations})`);
        continue;
      }
      const notes = [
        diverged.length ? `the better-scored ${diverged.join(', ')} diverged from these weights` : '',
        res.stopReason === 'diverged' ? `diverged at epoch ${trace.iterations}` : '',
      ].filter(Boolean).join('; ');
      traces.push({ run: { ...summary(blLabel, bl.method, 'cpu', trace, notes || undefined), ...(res.stopReason === 'diverged' ? { diverged: true } : {}) }, trace });
    } catch (e) {
      traces.push({ run: { ...emptyRun(blLabel, bl.method, 'cpu'), status: 'failed', note: `failed: ${(e as Error).message}` } });
    } finally {
      clearTimeout(timer);
    }
    break;
  }

  let target = o.target;
  let targetRule = 'given';
  if (target === undefined) {
    const alm = traces.find((t) => t.run.method === 'alm' && t.run.bestTestErr !== null);
    const base = traces.find((t) => t.run.method !== 'alm' && t.run.bestTestErr !== null && !t.run.diverged);
    const bests = [alm?.run.bestTestErr, base?.run.bestTestErr].filter((x): x is number => typeof x === 'number');
    target = bests.length > 0 ? 1.05 * Math.max(...bests) : NaN;
    targetRule = base
      ? `1.05 × the worse of the best TestErr reached by ${alm ? alm.run.label : 'the ALM'} and the baseline within their caps (a level both reach)`
      : `1.05 × the best TestErr of ${alm ? alm.run.label : 'the ALM'} (no baseline run trained)`;
  }
  const runs: EndToEndRun[] = traces.map(({ run, trace }) => {
    const hit = trace?.points.find((p) => p.test <= (target as number));
    const { diverged: _diverged, ...rest } = run;
    return {
      ...rest,
      secondsToTarget: hit ? hit.s : null,
      iterationsToTarget: hit ? hit.it : null,
      curve: thin(trace?.points ?? [], CURVE_POINTS).map((p) => [round(p.s, 4), round(p.test, 5)] as [number, number]),
    };
  });
  return {
    dataset: o.dataset,
    shape: { r: data.hidden, n: data.inputNames.length, m: data.targetNames.length, T1: trainSteps, T: data.targets.length / data.targetNames.length },
    target,
    targetRule,
    baselineSource: o.baseline.source,
    almCaps: { outer: o.outer, inner: o.inner },
    secondsCap: o.seconds,
    runs,
  };
}

function round(x: number, digits: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

function emptyRun(label: string, method: string, backend: BackendKind): Omit<EndToEndRun, 'secondsToTarget' | 'iterationsToTarget' | 'curve'> {
  return {
    label, method, backend, status: 'ok', bestTestErr: null, finalTestErr: null, finalTrainErr: null,
    iterations: 0, seconds: 0, timeCapped: false,
  };
}

function summary(label: string, method: string, backend: BackendKind, t: Trace, note?: string): Omit<EndToEndRun, 'secondsToTarget' | 'iterationsToTarget' | 'curve'> {
  const last = t.points[t.points.length - 1];
  const tests = t.points.map((p) => p.test).filter(Number.isFinite);
  return {
    label, method, backend, status: 'ok',
    ...(note ? { note } : {}),
    bestTestErr: tests.length > 0 ? Math.min(...tests) : null,
    finalTestErr: last && Number.isFinite(last.test) ? last.test : null,
    finalTrainErr: last && Number.isFinite(last.train) ? last.train : null,
    iterations: t.iterations,
    seconds: t.seconds,
    timeCapped: t.timeCapped,
  };
}
