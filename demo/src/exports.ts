// What the page writes out: the model (the CLI's model file), the run history (JSON as the
// CLI's --history writes it, and CSV), and the state (a checkpoint the page or the CLI resumes).
import {
  checkpointFromJson, checkpointToJson, DataError, modelFromWeights, type AlmIteration, type BackendInfo, type Checkpoint, type EarlyStopOutcome,
  type ModelOrigin, type RnnWeights, type RunConfig,
} from 'alm-rnn';
import type { CsvSource } from './protocol.ts';

/** Model file text, byte for byte what `alm-rnn train --out` writes (with the data's column names). */
export function modelFileText(weights: RnnWeights, activation: string, origin: ModelOrigin): string {
  return JSON.stringify(modelFromWeights(weights, activation, origin)) + '\n';
}

function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** An early-stopped run's history: the final model's run, and what the rule found on the fit part. */
export interface EarlyStoppedHistory {
  outcome: EarlyStopOutcome;
  validationSteps: number;
  /** The run on the fit part (its testErr is the validation error). */
  fit: AlmIteration[];
}

/**
 * History JSON, in the shape of the CLI's --history file: with early stopping, `history` is the
 * final model's run (the retraining; the fit run with restore best) and `earlyStop` holds the
 * outcome, V and the fit run's history (`fitHistory`), as `alm-rnn train --early-stop` writes them.
 */
export function historyJsonText(config: RunConfig, backend: BackendInfo | null, history: AlmIteration[], early?: EarlyStoppedHistory): string {
  const earlyStop = early ? { earlyStop: { ...early.outcome, validationSteps: early.validationSteps, fitHistory: early.fit } } : {};
  return JSON.stringify({ config, backend, history, ...earlyStop }, jsonNumbers, 1) + '\n';
}

const CSV_COLUMNS: (keyof AlmIteration)[] = [
  'k', 'gamma', 'gammaNext', 'eps', 'feasVio', 'c1', 'c2', 'xiNorm', 'zetaNorm', 'lagrangian',
  'sweeps', 'warm', 'certificate', 'atFloor', 'trainErr', 'testErr', 'seconds',
];

/**
 * History as CSV: one row per outer iteration. With `retrained` (early stopping) a first column
 * `stage` says which run a row is from: `fit` (its testErr is the validation error), then `retrain`.
 */
export function historyCsvText(history: AlmIteration[], retrained?: AlmIteration[]): string {
  const rows = [(retrained ? ['stage', ...CSV_COLUMNS] : CSV_COLUMNS).join(',')];
  const add = (it: AlmIteration, stage?: string) => {
    rows.push([...(stage ? [stage] : []), ...CSV_COLUMNS.map((c) => {
      const v = it[c];
      return v === null || v === undefined ? '' : String(v);
    })].join(','));
  };
  for (const it of history) add(it, retrained ? 'fit' : undefined);
  for (const it of retrained ?? []) add(it, 'retrain');
  return rows.join('\n') + '\n';
}

/** Checkpoint text; a user's CSV travels along in a "csv" field (the CLI ignores it and reads config.dataset). */
export function stateFileText(cp: Checkpoint, csv?: CsvSource): string {
  const text = checkpointToJson(cp);
  return csv ? `${text.slice(0, -1)},"csv":${JSON.stringify({ name: csv.name, text: csv.text })}}` : text;
}

/** Parses a state file; throws a DataError naming what is wrong. */
export function parseStateFile(text: string, source: string): { checkpoint: Checkpoint; csv?: CsvSource } {
  const checkpoint = checkpointFromJson(text, source);
  const raw = JSON.parse(text) as { csv?: unknown };
  let csv: CsvSource | undefined;
  if (raw.csv !== undefined) {
    const c = raw.csv as Partial<CsvSource>;
    if (typeof c !== 'object' || c === null || typeof c.name !== 'string' || typeof c.text !== 'string') {
      throw new DataError(`${source}: field "csv" must be {"name": string, "text": string}`);
    }
    csv = { name: c.name, text: c.text };
  }
  return { checkpoint, csv };
}

/** Offers `text` as a download named `name`. */
export function download(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A file-name-safe form of a data set name. */
export function slug(name: string): string {
  return name.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}
