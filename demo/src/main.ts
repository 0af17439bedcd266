// The demo page: settings, data preview, run control, live plots and exports. Training runs in
// a module Web Worker (worker.ts) for both backends, so this thread only draws.
import {
  checkMemory, defaultValidationSteps, estimateCpuMemory, estimateHostMemory, isSoftwareAdapter, modelFromWeights, ParameterError, summarizeAdapter, trialGrid,
  type AlmIteration, type BackendInfo, type Checkpoint, type EarlyStopOptions, type EarlyStopOutcome, type GpuAdapterSummary, type RnnWeights, type RunConfig,
} from 'alm-rnn';
import { prepareDataset, type LoadedDataset } from 'alm-rnn/datasets';
import { download, historyCsvText, historyJsonText, modelFileText, parseStateFile, slug, stateFileText } from './exports.ts';
import { SettingsForm, type FieldErrors, type RaceSettings } from './form.ts';
import { fmt, fmtSeconds, plural, shortName } from './format.ts';
import { LivePlots, PreviewPlot } from './plots.ts';
import type { BackendChoice, CsvSource, FromWorker, RunProblemInfo, ToWorker } from './protocol.ts';
import { cpuWorkers, estimateRace, RaceSession, wireRaceExports, type RaceInput } from './race.ts';
import { clearRun, hasStorage, loadRun, type SavedRun } from './storage.ts';
import { applyQuery, queryFromForm } from './url.ts';
import './style.css';

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: element #${id} is missing`);
  return e as T;
}

function show(id: string, text: string | null): void {
  const e = el(id);
  e.hidden = text === null;
  e.textContent = text ?? '';
}

const form = new SettingsForm();
const plots = new LivePlots(el);
const preview = new PreviewPlot(el('preview'));

// ---------------------------------------------------------------- data

/** The user's CSV file, once read. */
let csv: CsvSource | undefined;
/** The data set the form describes, loaded; undefined while it has an error. */
let data: LoadedDataset | undefined;
/** Field errors that come from loading the data (train fraction against T). */
let dataFieldErrors: FieldErrors = new Map();

/** The name a run records for the data: a registered name or the CSV file's name. */
function datasetName(): string {
  return form.datasetChoice() === 'csv' ? csv?.name ?? 'file.csv' : form.datasetChoice();
}

/** (Re)loads the data set the form describes, shows its summary and preview, or the error next to the input. */
function reloadData(): void {
  const choice = form.datasetChoice();
  const d = form.readData();
  dataFieldErrors = new Map();
  show('csv-error', null);
  data = undefined;
  const summary = el('data-summary');
  summary.classList.remove('error');
  if (d.errors.size > 0) {
    summary.textContent = 'fix the marked fields to load the data';
    preview.clear();
    return;
  }
  if (choice === 'csv' && !csv) {
    summary.textContent = 'Choose a CSV file: a header row, then one row per time step; numeric columns are inputs, the last (or the listed target columns) the targets.';
    preview.clear();
    return;
  }
  try {
    const settings = { seed: d.seed, targets: d.targets, trainFraction: d.trainFraction, standardize: d.standardize };
    data = choice === 'csv' ? prepareDataset({ dataset: csv!.name, ...settings }, csv) : prepareDataset({ dataset: choice, ...settings });
  } catch (err) {
    const message = (err as Error).message;
    summary.textContent = 'The data could not be loaded.';
    if (err instanceof ParameterError && err.parameter === 'train-fraction') dataFieldErrors.set('trainFraction', message);
    else if (choice === 'csv') show('csv-error', message);
    else {
      summary.textContent = message;
      summary.classList.add('error');
    }
    preview.clear();
    return;
  }
  const { series, T1 } = data;
  const names = series.targetNames;
  summary.textContent =
    `T = ${series.T} steps (train ${T1}, test ${series.T - T1}), n = ${series.n} inputs, m = ${series.m} ` +
    `target${series.m === 1 ? '' : 's'} (${names.slice(0, 4).map((n) => shortName(n)).join(', ')}${names.length > 4 ? ', …' : ''})` +
    `${data.standardization ? ', standardised' : ''}. Preview: ${shortName(names[0])}.`;
  preview.show(series.y, series.T, series.m, T1);
}

/** Reads the whole form, marks every invalid field, and enables Start only when all is well. */
/** The race settings the form last read (undefined while it has errors). */
let raceSettings: RaceSettings | undefined;
/** Set once the page has read its URL: from then on the form writes its settings there. */
let urlReady = false;

function validate(): RunConfig | undefined {
  const { config, race: raceRead, errors } = form.read(datasetName());
  raceSettings = raceRead;
  for (const [k, v] of dataFieldErrors) if (!errors.has(k)) errors.set(k, v);
  if (config && data) {
    // The engine's own memory check, before a worker allocates: r too large is marked at its field.
    const shape = { T: data.T1, n: data.series.n, m: data.series.m, r: config.hidden ?? data.defaults.r };
    try {
      checkMemory(shape, estimateHostMemory(shape), 'the weights and their evaluation');
      if (form.backend() === 'cpu') checkMemory(shape, estimateCpuMemory(shape), 'the float64 CPU backend');
      const trials = raceRead ? raceRead.lists.inits.length * raceRead.lists.taus.length * raceRead.lists.seeds.length : 1;
      if (trials > 1 && form.backend() === 'cpu') {
        // Each trial holds its own working set, as in the CLI: refuse a race that cannot fit before the workers allocate.
        const one = estimateCpuMemory(shape);
        checkMemory(shape, { bytes: trials * one.bytes, largestArray: one.largestArray }, `${trials} trials (race fewer trials at once)`);
      }
    } catch (e) {
      errors.set('hidden', (e as Error).message);
    }
  }
  const V = raceRead?.earlyStop?.validationSteps;
  if (data && V !== undefined && V > data.T1 - 2) {
    // The engine's range for V (checkValidationSteps), known once the data are loaded.
    errors.set('validationSteps', new ParameterError('validation-steps', V, `an integer in [1, ${data.T1 - 2}] (the training part has ${data.T1} steps; at least 2 must remain to fit on)`).message);
  }
  form.mark(errors);
  const ok = errors.size === 0 && data !== undefined;
  if (!isRunning()) el<HTMLButtonElement>('btn-start').disabled = !ok;
  show('form-error', errors.size > 0 ? `${errors.size} setting${errors.size === 1 ? ' is' : 's are'} invalid: see the marked field${errors.size === 1 ? '' : 's'}.` : null);
  el('trial-count').textContent = raceRead ? describeTrials(raceRead) : '';
  if (urlReady) history.replaceState(null, '', `?${queryFromForm(form, form.backend())}`);
  return ok ? config : undefined;
}

/** Whether these settings make a race (several trials, or baselines) rather than one run with checkpoints. */
function isRace(r: RaceSettings): boolean {
  const { inits, taus, seeds } = r.lists;
  return inits.length * taus.length * seeds.length > 1 || r.baselines.length > 0;
}

function describeTrials(r: RaceSettings): string {
  const { inits, taus, seeds } = r.lists;
  const n = inits.length * taus.length * seeds.length;
  if (!isRace(r)) return '1 trial: a single run, saved after every outer iteration (list seeds, initialisations or τ values, or tick a baseline, to race).';
  const where = form.backend() === 'webgpu' ? 'one WebGPU batch' : plural(cpuWorkers(n), 'CPU worker');
  return `${plural(n, 'trial')} (init ${inits.join(',')} × τ ${taus.join(',')} × seed ${seeds.join(',')}) on ${where}`
    + (r.baselines.length > 0 ? `, baselines ${r.baselines.join(', ')} (${r.epochs} epochs, ${r.lr.select ? 'learning rate selected on the validation split' : `η = ${r.lr.lr}`})` : '')
    + (r.earlyStop ? ', each stopped early on the validation split' : '')
    + '. A race is not saved in the browser: its link (this page\'s URL) reproduces it.';
}

/** The line next to Start about the backend a run will use, when the choice needs saying. */
function updateStartNotice(): void {
  const software = adapter !== null && isSoftwareAdapter(adapter);
  let text: string | null = null;
  if (software && form.backend() === 'cpu') {
    text = 'Runs on the CPU backend (float64): the WebGPU adapter here is a software renderer (SwiftShader), far slower. Choose WebGPU under Backend to use it anyway.';
  } else if (software) {
    text = 'Runs on WebGPU on a software renderer (SwiftShader): expect seconds per sweep; the CPU backend is much faster here.';
  }
  show('start-notice', text);
}

form.dataset.addEventListener('change', () => {
  form.syncVisibility();
  form.applyDatasetDefaults(form.datasetChoice(), csv?.name);
  reloadData();
  validate();
});
for (const e of [form.targets, form.trainFraction, form.standardize, form.seed]) {
  e.addEventListener('change', () => {
    reloadData();
    validate();
  });
}
for (const e of form.inputs()) e.addEventListener('input', () => validate());
form.activation.addEventListener('change', () => validate());
form.csvInput.addEventListener('change', async () => {
  const file = form.csvInput.files?.[0];
  csv = file ? { name: file.name, text: await file.text() } : undefined;
  if (csv) form.applyDatasetDefaults('csv', csv.name);
  reloadData();
  validate();
});
el('btn-paper').addEventListener('click', () => {
  form.applyPaperPreset(form.datasetChoice(), csv?.name);
  validate();
});
el('btn-reset').addEventListener('click', () => {
  form.resetAll(form.datasetChoice(), csv?.name);
  reloadData();
  validate();
});
for (const id of ['f-backend-webgpu', 'f-backend-cpu']) {
  el(id).addEventListener('change', () => {
    updateStartNotice();
    validate();
  });
}

// ---------------------------------------------------------------- backend

let adapter: GpuAdapterSummary | null = null;
/** True when the page found no WebGPU: the WebGPU choice stays disabled. */
let webgpuDisabled = false;

/** backend= of a link: webgpu, cpu, or auto (the page's own choice); WebGPU only where there is an adapter. */
function setBackendFromUrl(value: string): string | null {
  if (value === 'auto') return null;
  if (value !== 'webgpu' && value !== 'cpu') return `URL parameter backend=${value}: must be one of auto, webgpu, cpu (ignored)`;
  if (value === 'webgpu' && webgpuDisabled) return 'URL parameter backend=webgpu: WebGPU is not available here, the CPU backend is used';
  form.setBackend(value);
  return null;
}

/** Looks for a WebGPU adapter to show (and to choose the default backend). */
async function probeGpu(): Promise<void> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  let why = '';
  if (!gpu) why = 'this browser has no WebGPU (navigator.gpu is missing)';
  else {
    try {
      const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (a) adapter = summarizeAdapter(a);
      else why = 'the browser found no WebGPU adapter';
    } catch (err) {
      why = `requesting a WebGPU adapter failed: ${(err as Error).message}`;
    }
  }
  const webgpuRadio = el<HTMLInputElement>('f-backend-webgpu');
  if (!adapter) {
    webgpuRadio.disabled = true;
    webgpuDisabled = true;
    form.setBackend('cpu');
    el('adapter').textContent = 'WebGPU: not available.';
    const notice = el('backend-notice');
    notice.hidden = false;
    notice.dataset.kind = 'no-webgpu';
    notice.textContent = `WebGPU is not available: ${why}. Runs use the CPU backend (float64) in a Web Worker instead; ` +
      'in Chrome, WebGPU needs a secure context (https or localhost) and a supported GPU.';
    return;
  }
  const software = isSoftwareAdapter(adapter);
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' · ') || 'unnamed adapter';
  el('adapter').textContent = `WebGPU adapter: ${name}${adapter.isFallback ? ' (fallback adapter)' : ''}${software ? ', software' : ', hardware'}.`;
  if (software) {
    const notice = el('backend-notice');
    notice.hidden = false;
    notice.dataset.kind = 'software';
    notice.textContent = 'This adapter is a software renderer (SwiftShader): WebGPU runs on the CPU here, so the CPU backend, '
      + 'much faster, is selected.';
    form.setBackend('cpu');
  }
  updateStartNotice();
}

// ---------------------------------------------------------------- running

type RunState = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'stopping' | 'done' | 'stopped' | 'error';

interface Run {
  config: RunConfig;
  csv?: CsvSource;
  backend: BackendInfo | null;
  problem: RunProblemInfo | null;
  history: AlmIteration[];
  outer: number;
  inner: number;
  /** Sweeps of the completed outer iterations. */
  sweeps: number;
  /** Sweeps of the iteration in flight. */
  inFlight: number;
  /** Seconds the run had before this session (a resumed run). */
  baseSeconds: number;
  /** performance.now() when this session started, and the pause time to leave out. */
  sessionStart: number;
  pausedAt: number | null;
  pausedMs: number;
  /** Progress fraction when this session started (for the time estimate). */
  startFraction: number;
  weights: RnnWeights | null;
  saved: boolean;
  summary: string;
  /** Early stopping's settings (absent: none); then `history` is the run on the fit part and `retrained` the retraining for k*. */
  earlyStop?: EarlyStopOptions;
  retrained: AlmIteration[];
  /** What early stopping found, once the run is done. */
  earlyStopOutcome?: EarlyStopOutcome;
}

let state: RunState = 'idle';
let worker: Worker | null = null;
let run: Run | null = null;
let ticker: ReturnType<typeof setInterval> | null = null;

function isRunning(): boolean {
  return state === 'starting' || state === 'running' || state === 'pausing' || state === 'paused' || state === 'stopping';
}

function setState(next: RunState, text?: string): void {
  state = next;
  const status = el('run-status');
  status.dataset.state = next;
  const labels: Record<RunState, string> = {
    idle: 'ready', starting: 'starting…', running: 'running', pausing: 'pausing after this batch of sweeps…',
    paused: 'paused', stopping: 'stopping after this batch of sweeps…', done: 'finished', stopped: 'stopped', error: 'failed',
  };
  status.textContent = text ?? labels[next];
  const running = isRunning();
  el<HTMLButtonElement>('btn-start').disabled = running;
  el<HTMLButtonElement>('btn-pause').disabled = next !== 'running';
  el<HTMLButtonElement>('btn-resume').disabled = next !== 'paused';
  el<HTMLButtonElement>('btn-stop').disabled = !(next === 'running' || next === 'paused' || next === 'pausing' || next === 'starting');
  form.setDisabled(running);
  if (!running && webgpuDisabled) el<HTMLInputElement>('f-backend-webgpu').disabled = true;
  el<HTMLInputElement>('f-import-state').disabled = running;
  el<HTMLButtonElement>('btn-continue').disabled = running;
  el<HTMLButtonElement>('btn-discard').disabled = running;
  updateExports();
  if (!running) validate();
}

function updateExports(): void {
  const hasHistory = run !== null && run.history.length > 0;
  el<HTMLButtonElement>('btn-export-model').disabled = !run?.weights;
  el<HTMLButtonElement>('btn-export-history-json').disabled = !hasHistory;
  el<HTMLButtonElement>('btn-export-history-csv').disabled = !hasHistory;
  el<HTMLButtonElement>('btn-export-state').disabled = !(run?.saved || savedRun);
}

function fraction(r: Run): number {
  // An early-stopped run ends before its cap: done is done.
  if (r.earlyStopOutcome) return 1;
  const k = r.history.length > 0 ? r.history[r.history.length - 1].k : 0;
  return Math.min(1, (k + (r.inFlight > 0 ? r.inFlight / r.inner : 0)) / r.outer);
}

function activeSeconds(r: Run): number {
  const now = performance.now();
  const paused = r.pausedMs + (r.pausedAt !== null ? now - r.pausedAt : 0);
  return Math.max(0, (now - r.sessionStart - paused) / 1000);
}

/** Redraws the progress bar and its line. */
function drawProgress(): void {
  if (!run) return;
  const f = fraction(run);
  const k = run.history.length > 0 ? run.history[run.history.length - 1].k : 0;
  const current = isRunning() && k < run.outer ? k + 1 : k;
  const session = activeSeconds(run);
  const elapsed = run.baseSeconds + session;
  const gained = f - run.startFraction;
  const left = isRunning() && gained > 0 ? (session / gained) * (1 - f) : NaN;
  const bar = el<HTMLProgressElement>('progress');
  bar.value = f;
  const total = run.outer * run.inner;
  const stage = !run.earlyStop ? '' : run.retrained.length > 0 ? ` · retraining for k*: ${run.retrained.length}` : ' (on the fit part)';
  el('progress-text').textContent =
    `outer ${current}/${run.outer}${stage} · sweeps ${run.sweeps + run.inFlight}/${total}` +
    `${run.config.params.innerStop === 'certificate' ? ' (at most)' : ''} · ${fmtSeconds(elapsed)} elapsed` +
    (isRunning() ? ` · ${Number.isFinite(left) ? `about ${fmtSeconds(left)} left` : 'estimating time left…'}` : '');
}

/** The latest iteration; `stage` fit: its TestErr is the validation error, and is called so. */
function drawLatest(it: AlmIteration, stage?: 'fit' | 'retrain'): void {
  const errors = stage === 'fit' ? `TrainErr (fit part) ${fmt(it.trainErr)}, ValErr ${fmt(it.testErr)}`
    : `TrainErr ${fmt(it.trainErr)}, TestErr ${fmt(it.testErr)}`;
  el('latest').textContent = `${stage === 'retrain' ? 'retraining, ' : ''}k = ${it.k}: FeasVio ${fmt(it.feasVio)}, L ${fmt(it.lagrangian)}, ` +
    `γ ${fmt(it.gamma)} → ${fmt(it.gammaNext)}, ${errors}${it.warm || it.k === 1 ? '' : ' (restarted from s⁰)'}`;
}

/**
 * The line that says what an early-stopped run's curves are: while it runs on the fit part, the
 * error the progress reports as TestErr is the validation error on the held-out steps.
 */
function showEarlyStopNote(es: EarlyStopOptions | undefined, T1: number | undefined): void {
  if (!es) return show('early-stop-note', null);
  const V = es.validationSteps ?? (T1 !== undefined ? defaultValidationSteps(T1) : undefined);
  show('early-stop-note', `Early stopping: the run trains first on the training part minus its last ${V ?? 'V'} steps; its ValErr (dashed) is the error on those held-out ` +
    'steps, not TestErr, and the test part is not looked at. k* (○) is the outer iteration with the lowest ValErr; the final model is ' +
    (es.restore === 'best' ? 'that iterate (restore best).' : 'then retrained on the whole training part for k* outer iterations (bold curves: its TrainErr and TestErr).'));
}

/** What an early-stopped run found, as the summary says it. */
function earlyStopText(o: EarlyStopOutcome, outer: number): string {
  return `early stopping: k* = ${o.k} (ValErr ${fmt(o.valErr)}), the fit run ${o.stoppedAt < outer ? `stopped at ${o.stoppedAt}` : `ran to its cap ${o.stoppedAt}`}; ` +
    (o.restore === 'best' ? 'kept its best iterate' : `retrained for ${o.k} on the whole training part`);
}

function fillOutputs(names: string[]): void {
  const select = el<HTMLSelectElement>('fit-output');
  const keep = Math.min(select.selectedIndex, names.length - 1);
  select.replaceChildren(...names.map((n, i) => {
    const option = new Option(`${i + 1}: ${shortName(n)}`, String(i));
    option.title = n;
    return option;
  }));
  select.selectedIndex = Math.max(0, keep);
  plots.setOutput(select.selectedIndex);
}
el<HTMLSelectElement>('fit-output').addEventListener('change', (e) => plots.setOutput((e.target as HTMLSelectElement).selectedIndex));

function onMessage(msg: FromWorker): void {
  if (!run) return;
  switch (msg.type) {
    case 'notice':
      show('run-notice', msg.message);
      break;
    case 'started': {
      run.backend = msg.backend;
      run.problem = msg.problem;
      run.history = [...msg.loop.history];
      run.sweeps = msg.loop.sweeps;
      run.baseSeconds = msg.loop.seconds;
      run.outer = msg.outer;
      run.inner = msg.inner;
      run.sessionStart = performance.now();
      run.startFraction = fraction(run);
      plots.reset(run.history, run.earlyStop !== undefined);
      plots.setTruth(msg.problem.y, msg.problem.T, msg.problem.T1, msg.problem.m);
      fillOutputs(msg.problem.targetNames);
      showEarlyStopNote(run.earlyStop, msg.problem.T1);
      if (run.history.length > 0) drawLatest(run.history[run.history.length - 1], run.earlyStop ? 'fit' : undefined);
      setState('running', `running on ${msg.backend.description}`);
      run.summary = msg.backend.description;
      drawProgress();
      break;
    }
    case 'sweeps':
      run.inFlight = msg.done;
      drawProgress();
      break;
    case 'paused':
      run.pausedAt = performance.now();
      setState('paused');
      drawProgress();
      break;
    case 'resumed':
      if (run.pausedAt !== null) run.pausedMs += performance.now() - run.pausedAt;
      run.pausedAt = null;
      if (state === 'paused' || state === 'pausing') setState('running', `running on ${run.summary}`);
      break;
    case 'iteration':
      if (msg.stage === 'retrain') run.retrained.push(msg.it);
      else {
        run.history.push(msg.it);
        run.sweeps += msg.it.sweeps;
      }
      run.inFlight = 0;
      plots.addIteration(msg.it, msg.stage);
      drawLatest(msg.it, msg.stage);
      drawProgress();
      updateExports();
      break;
    case 'weights':
      run.weights = msg.weights;
      run.saved ||= msg.saved;
      plots.setFit(msg.yHat);
      updateExports();
      break;
    case 'done': {
      run.weights = msg.weights;
      run.inFlight = 0;
      run.pausedAt = null;
      plots.setFit(msg.yHat);
      if (msg.earlyStop) run.earlyStopOutcome = msg.earlyStop;
      const how = msg.stopReason === 'stopped' ? 'stopped' : msg.stopReason === 'converged' ? 'converged' : 'finished';
      finishRun(msg.stopReason === 'stopped' ? 'stopped' : 'done',
        `${how}: ${msg.earlyStop ? `${earlyStopText(msg.earlyStop, run.outer)}: ` : ''}` +
        `${plural(msg.outerIterations, 'outer iteration')}, ${plural(msg.sweeps, 'sweep')} in ${fmtSeconds(msg.seconds)}; ` +
        `TrainErr ${fmt(msg.trainErr)}, TestErr ${fmt(msg.testErr)}, FeasVio ${fmt(msg.feasVio)}, γ ${fmt(msg.gamma)}`);
      break;
    }
    case 'error':
      show('run-error', msg.userError ? msg.message : `The run failed: ${msg.message}`);
      finishRun('error');
      break;
  }
}

/** Ends the session with the worker and offers to continue from the saved state. */
function finishRun(next: RunState, text?: string): void {
  worker?.terminate();
  worker = null;
  if (ticker !== null) clearInterval(ticker);
  ticker = null;
  setState(next, text);
  drawProgress();
  void refreshSaved();
}

/** Starts a run in a new worker (a new run, or the continuation of a checkpoint). */
function startRun(config: RunConfig, runCsv: CsvSource | undefined, backend: BackendChoice, resume?: Checkpoint, earlyStop?: EarlyStopOptions): void {
  race?.dispose();
  race = null;
  el('race-panel').hidden = true;
  el('single-charts').hidden = false;
  show('run-error', null);
  show('run-notice', null);
  el('saved-run').hidden = true;
  run = {
    config, csv: runCsv, backend: null, problem: null, history: [], outer: config.params.outer, inner: config.params.inner,
    sweeps: 0, inFlight: 0, baseSeconds: 0, sessionStart: performance.now(), pausedAt: null, pausedMs: 0, startFraction: 0,
    weights: null, saved: false, summary: '', retrained: [], ...(earlyStop ? { earlyStop } : {}),
  };
  showEarlyStopNote(earlyStop, data?.T1);
  if (!resume) {
    plots.reset([], earlyStop !== undefined);
    el('latest').textContent = '';
    savedRun = null;
  }
  setState('starting');
  // A new run replaces the stored one: clear it before the worker can write its first iterate.
  const cleared = resume || !hasStorage() ? Promise.resolve() : clearRun().catch(() => undefined);
  void cleared.then(() => launchWorker(config, runCsv, backend, resume, earlyStop));
}

function launchWorker(config: RunConfig, runCsv: CsvSource | undefined, backend: BackendChoice, resume?: Checkpoint, earlyStop?: EarlyStopOptions): void {
  if (state !== 'starting' && state !== 'stopping') return;
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'alm-rnn training' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    show('run-error', `The training worker failed: ${ev.message || 'it could not be started'}`);
    finishRun('error');
  };
  const msg: ToWorker = { type: 'start', config, csv: runCsv, backend, resume, ...(earlyStop ? { earlyStop } : {}) };
  worker.postMessage(msg);
  if (state === 'stopping') worker.postMessage({ type: 'stop' } satisfies ToWorker);
  ticker = setInterval(drawProgress, 500);
  drawProgress();
}

function send(msg: ToWorker): void {
  worker?.postMessage(msg);
}

el('btn-start').addEventListener('click', () => {
  const config = validate();
  if (!config || !raceSettings) return;
  if (isRace(raceSettings)) void startRace(raceInput(config, raceSettings));
  else startRun(config, form.datasetChoice() === 'csv' ? csv : undefined, form.backend(), undefined, raceSettings.earlyStop);
});
el('btn-pause').addEventListener('click', () => {
  if (race) race.pause();
  else send({ type: 'pause' });
  setState('pausing');
});
el('btn-resume').addEventListener('click', () => {
  if (race) race.resume();
  else send({ type: 'resume' });
});
el('btn-stop').addEventListener('click', () => {
  if (race) race.stop();
  else if (estimating) estimating.abort();
  else send({ type: 'stop' });
  setState('stopping');
});

// ---------------------------------------------------------------- races

/** The race on the page (its curves and table stay after it ends), or null. */
let race: RaceSession | null = null;
/** The time estimate in flight before a large race starts. */
let estimating: AbortController | null = null;

/** Sweeps (over all trials) from which a race is timed first, so that the page can say how long it will take. */
const ESTIMATE_FROM_SWEEPS = 2000;
/** Baseline epochs (over all methods) from which a race is timed first. */
const ESTIMATE_FROM_EPOCHS = 1000;

function raceInput(config: RunConfig, settings: RaceSettings): RaceInput {
  return {
    trials: trialGrid(config, settings.lists),
    settings,
    csv: form.datasetChoice() === 'csv' ? csv : undefined,
    backend: form.backend(),
    T1: data!.T1,
  };
}

function isLargeRace(input: RaceInput): boolean {
  const { outer, inner } = input.trials[0].params;
  return input.trials.length * outer * inner >= ESTIMATE_FROM_SWEEPS || input.settings.baselines.length * input.settings.epochs >= ESTIMATE_FROM_EPOCHS;
}

/** Runs a race: after a timed estimate when it is large, so that the time it will take is on the page first. */
async function startRace(input: RaceInput): Promise<void> {
  show('run-error', null);
  show('run-notice', null);
  el('saved-run').hidden = true;
  worker?.terminate();
  worker = null;
  run = null;
  race?.dispose();
  race = null;
  setState('starting');
  if (isLargeRace(input)) {
    el('run-status').textContent = 'timing a few sweeps to estimate how long this race takes…';
    estimating = new AbortController();
    try {
      el('race-estimate').textContent = (await estimateRace(input, estimating.signal)).text;
    } catch (err) {
      el('race-estimate').textContent = `No estimate: ${(err as Error).message}.`;
    } finally {
      estimating = null;
    }
    if (state !== 'starting') {
      setState('stopped', 'stopped before the race started');
      return;
    }
  }
  race = new RaceSession(input, {
    state: (next, text) => setState(next, text),
    progress: (fraction, text) => {
      el<HTMLProgressElement>('progress').value = fraction;
      el('progress-text').textContent = text;
    },
    notice: (text) => show('run-notice', text),
    error: (text) => {
      show('run-error', text);
      setState('error');
    },
  });
  race.start();
}

wireRaceExports(() => race);

el('btn-estimate').addEventListener('click', async () => {
  const config = validate();
  if (!config || !raceSettings || isRunning()) return;
  const button = el<HTMLButtonElement>('btn-estimate');
  button.disabled = true;
  el('race-estimate').textContent = 'timing a few sweeps…';
  try {
    el('race-estimate').textContent = (await estimateRace(raceInput(config, raceSettings))).text;
  } catch (err) {
    el('race-estimate').textContent = `No estimate: ${(err as Error).message}.`;
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- saved state and exports

/** The run kept in browser storage, or an imported state file, offered for continuation. */
let savedRun: (SavedRun & { source: string }) | null = null;

async function refreshSaved(): Promise<void> {
  try {
    const saved = await loadRun();
    savedRun = saved ? { ...saved, source: 'browser storage' } : null;
  } catch {
    savedRun = null;
  }
  offerSaved();
}

function offerSaved(): void {
  updateExports();
  const banner = el('saved-run');
  if (!savedRun || isRunning()) {
    banner.hidden = true;
    return;
  }
  const { checkpoint, source } = savedRun;
  const { loop, config } = checkpoint;
  const last = loop.history[loop.history.length - 1];
  const when = source === 'browser storage' ? `, saved ${new Date(savedRun.savedAt).toLocaleString()}` : '';
  const justRun = run !== null && source === 'browser storage' && run.config.dataset === config.dataset && run.history.length === loop.k;
  el('saved-run-text').textContent =
    `${justRun ? 'This run is saved in the browser and can go on' : source === 'browser storage' ? 'Saved run' : `State from ${source}`}: ${config.dataset}, ` +
    `${loop.k} of ${config.params.outer} outer iterations (${loop.sweeps} sweeps)` +
    // An early-stopped run is saved during its run on the fit part, whose TestErr is the validation error.
    (last ? (config.earlyStop ? ` on the fit part (early stopping), TrainErr ${fmt(last.trainErr)}, ValErr ${fmt(last.testErr)}` : `, TrainErr ${fmt(last.trainErr)}, TestErr ${fmt(last.testErr)}`) : '') + when + '.';
  el<HTMLInputElement>('resume-outer').value = String(loop.k < config.params.outer ? config.params.outer : loop.k + 10);
  banner.hidden = false;
}

el('btn-continue').addEventListener('click', () => {
  if (!savedRun) return;
  const { checkpoint } = savedRun;
  const text = el<HTMLInputElement>('resume-outer').value.trim();
  const outer = Number(text);
  if (!(Number.isInteger(outer) && outer >= 1)) {
    show('run-error', new ParameterError('outer', text === '' ? '""' : text, 'an integer ≥ 1').message);
    return;
  }
  const config: RunConfig = { ...checkpoint.config, params: { ...checkpoint.config.params, outer } };
  // Show the run's own settings and data in the form.
  form.fill(config);
  if (savedRun.csv) csv = savedRun.csv;
  reloadData();
  const backend: BackendChoice = webgpuDisabled ? 'cpu' : form.backend();
  const madeOn = savedRun.backend;
  // A saved early-stopped run continues under its own settings, resolved when it began (its
  // patience and warm-up do not follow the new cap): train() refuses a resume with other ones.
  const es = config.earlyStop;
  startRun(config, savedRun.csv, backend, checkpoint, es ? { validationSteps: es.validationSteps, patience: es.patience, minDelta: es.minDelta, warmupEvals: es.warmupEvals, restore: es.restore } : undefined);
  if (madeOn !== backend) show('run-notice', switchNotice(madeOn, backend));
});

const BACKEND_NAMES: Record<BackendChoice, string> = { cpu: 'the CPU backend (float64)', webgpu: 'WebGPU (float32)' };

/** Says plainly that a continued run changes precision. */
function switchNotice(madeOn: BackendChoice, now: BackendChoice): string {
  const why = now === 'cpu' && webgpuDisabled ? ' because WebGPU is not available here' : '';
  return `This run was made on ${BACKEND_NAMES[madeOn]} and continues on ${BACKEND_NAMES[now]}${why}: `
    + `from here on it computes in ${now === 'cpu' ? 'float64' : 'float32'}, so it will not match an unbroken run on ${BACKEND_NAMES[madeOn]}.`;
}

/**
 * Shows the saved run as the page left it: its settings in the form, its curves from the stored
 * history, the fit of its last iterate, and its backend (so that Continue runs where it was made).
 */
function restoreSaved(saved: SavedRun): void {
  const { checkpoint } = saved;
  if (saved.csv) csv = saved.csv;
  form.fill(checkpoint.config);
  if (!(saved.backend === 'webgpu' && webgpuDisabled)) form.setBackend(saved.backend);
  updateStartNotice();
  reloadData();
  const { history } = checkpoint.loop;
  plots.reset(history, checkpoint.config.earlyStop !== undefined);
  showEarlyStopNote(checkpoint.config.earlyStop, data?.T1);
  if (data) {
    const { series, T1 } = data;
    plots.setTruth(series.y, series.T, T1, series.m);
    fillOutputs(series.targetNames);
    plots.setFit(modelFromWeights(checkpoint.state.weights, checkpoint.config.activation).predict(series.x));
  }
  if (history.length > 0) drawLatest(history[history.length - 1], checkpoint.config.earlyStop ? 'fit' : undefined);
  const { k, sweeps } = checkpoint.loop;
  const { outer, inner } = checkpoint.config.params;
  el<HTMLProgressElement>('progress').value = Math.min(1, k / outer);
  el('progress-text').textContent = `outer ${k}/${outer} · sweeps ${sweeps}/${outer * inner} · ${fmtSeconds(checkpoint.loop.seconds)} elapsed (saved run)`;
  validate();
}
el('btn-discard').addEventListener('click', async () => {
  const stored = savedRun?.source === 'browser storage';
  savedRun = null;
  offerSaved();
  if (stored) await clearRun().catch(() => undefined);
});

el('f-import-state').addEventListener('change', async (ev) => {
  const input = ev.target as HTMLInputElement;
  const file = input.files?.[0];
  show('import-error', null);
  if (!file) return;
  try {
    const { checkpoint, csv: embedded } = parseStateFile(await file.text(), file.name);
    const needsCsv = !['synthetic-small', 'synthetic-large', 'sp500', 'welch-goyal'].includes(checkpoint.config.dataset);
    let source = embedded;
    if (needsCsv && !source) {
      if (csv && csv.name === checkpoint.config.dataset) source = csv;
      else throw new Error(`${file.name} was trained on the CSV file ${checkpoint.config.dataset}, which it does not contain: choose that file under Data first, then import the state again`);
    }
    savedRun = { checkpoint, csv: source, backend: form.backend(), savedAt: Date.now(), source: file.name };
    offerSaved();
  } catch (err) {
    show('import-error', (err as Error).message);
  } finally {
    input.value = '';
  }
});

el('btn-export-model').addEventListener('click', () => {
  if (!run?.weights || !run.problem) return;
  download(`alm-rnn-model-${slug(run.config.dataset)}.json`, modelFileText(run.weights, run.problem.activation, {
    standardization: run.problem.standardization, inputNames: run.problem.inputNames, targetNames: run.problem.targetNames,
  }));
});
el('btn-export-history-json').addEventListener('click', () => {
  if (!run) return;
  const o = run.earlyStopOutcome;
  const early = o && run.problem ? { outcome: o, validationSteps: run.earlyStop?.validationSteps ?? defaultValidationSteps(run.problem.T1), fit: run.history } : undefined;
  download(`alm-rnn-history-${slug(run.config.dataset)}.json`,
    historyJsonText(run.config, run.backend, early && run.retrained.length > 0 ? run.retrained : run.history, early));
});
el('btn-export-history-csv').addEventListener('click', () => {
  if (!run) return;
  download(`alm-rnn-history-${slug(run.config.dataset)}.csv`, historyCsvText(run.history, run.earlyStop ? run.retrained : undefined), 'text/csv');
});
el('btn-export-state').addEventListener('click', async () => {
  show('import-error', null);
  let saved: SavedRun | undefined = savedRun ?? undefined;
  if (isRunning() || !saved) saved = await loadRun().catch(() => undefined);
  if (!saved) {
    show('import-error', 'No state to export yet: it is written after each completed outer iteration.');
    return;
  }
  const cp = saved.checkpoint;
  download(`alm-rnn-state-${slug(cp.config.dataset)}-k${cp.loop.k}.json`, stateFileText(cp, saved.csv));
});

// ---------------------------------------------------------------- start-up

/** Read-only hooks for the page's browser tests. */
(window as unknown as { almDemo: unknown }).almDemo = {
  state: () => state,
  counts: () => plots.counts(),
  earlyStop: () => ({ marker: plots.markerKs(), kStar: plots.kStar(), outcome: run?.earlyStopOutcome ?? null }),
  iterations: () => run?.history.length ?? 0,
  sweeps: () => (run ? run.sweeps + run.inFlight : 0),
  race: () => race?.counts() ?? null,
  raceEarlyStop: () => race?.earlyStopCounts() ?? null,
  ready: false,
};

async function init(): Promise<void> {
  form.syncVisibility();
  form.applyDatasetDefaults(form.datasetChoice());
  reloadData();
  setState('idle');
  await probeGpu();
  const query = new URLSearchParams(location.search);
  const fromUrl = (): { notices: string[]; autostart: boolean; any: boolean } => {
    const applied = applyQuery(query, form, setBackendFromUrl);
    reloadData();
    updateStartNotice();
    validate();
    return applied;
  };
  const linked = fromUrl();
  if (linked.notices.length > 0) show('run-notice', linked.notices.join('\n'));
  if (hasStorage()) await refreshSaved();
  if (savedRun?.source === 'browser storage' && !linked.autostart) {
    // A link with other settings than the saved run keeps its own; the saved run stays offered.
    const asked = queryFromForm(form, form.backend()).toString();
    restoreSaved(savedRun);
    if (linked.any && queryFromForm(form, form.backend()).toString() !== asked) fromUrl();
  }
  urlReady = true;
  validate();
  (window as unknown as { almDemo: { ready: boolean } }).almDemo.ready = true;
  if (linked.autostart) {
    if (el<HTMLButtonElement>('btn-start').disabled) show('run-notice', 'autostart=1: the run was not started, the link\'s settings are invalid (see the marked fields).');
    else el('btn-start').click();
  }
}

void init();
