// The settings form: data, model, ALM parameters and backend. Reads the fields into a RunConfig
// through the engine's own validation (the same messages as the CLI) and marks each invalid
// field with its message.
import {
  checkTrialCount, isSeed, MAX_EPOCHS, MAX_SEED, METHODS, PAPER_PRESETS, ParameterError, paramsFor, parseActivation, parseInitializer, parseListValues, presetSettings, UserInputError,
  validateHidden, validateParams, type AlmParams, type EarlyStopOptions, type Initializer, type Method, type RunConfig, type StandardizeChoice, type TestHidden,
  type TrialLists,
} from 'alm-rnn';
import { csvDatasetInfo, DATASETS, isDatasetName, type DatasetInfo } from 'alm-rnn/datasets';
import type { BackendChoice } from './protocol.ts';

type NumericParam = { [K in keyof AlmParams]: AlmParams[K] extends number ? K : never }[keyof AlmParams];

interface ParamField {
  key: NumericParam;
  label: string;
  hint?: string;
  integer?: boolean;
}

/** The numeric ALM parameters shown in the form, in order. */
const PARAM_FIELDS: ParamField[] = [
  { key: 'outer', label: 'outer iterations', integer: true },
  { key: 'inner', label: 'sweeps per iteration', integer: true },
  { key: 'tau', label: 'τ', hint: 'λ1…λ5 = τ/(rm), τ/r², τ/(rn), τ/r, τ/m; a list (0.3,1) races one trial per value' },
  { key: 'gamma0', label: 'γ0', hint: 'initial penalty' },
  { key: 'eps0', label: 'ε0', hint: 'initial inner tolerance' },
  { key: 'Gamma', label: 'Γ', hint: 'warm start while L ≤ Γ' },
  { key: 'mu', label: 'μ', hint: 'proximal weight of the u-block' },
  { key: 'lambda6', label: 'λ6', hint: 'weight of ‖u‖²' },
  { key: 'eta1', label: 'η1', hint: 'sufficient decrease of the violation' },
  { key: 'eta2', label: 'η2', hint: 'penalty growth 1/η2' },
  { key: 'eta3', label: 'η3', hint: 'exponent of the penalty rule (1.01; 1.015 for T=500)' },
  { key: 'eta4', label: 'η4', hint: 'tolerance decrease' },
  { key: 'gammaMax', label: 'γ max', hint: 'cap on γ (Infinity for none; the authors use 1e4)' },
  { key: 'feasFloor', label: 'FeasVio floor', hint: 'violation treated as 0: γ is held there' },
  { key: 'checkEvery', label: 'sweeps per batch', integer: true, hint: 'between progress reports, pause checks and read-backs' },
];

/** Sweeps per batch in the page: smaller than the CLI's 10 so that pause and progress answer sooner. */
export const DEMO_CHECK_EVERY = 5;

/** Field name → message, for every field that is invalid. */
export type FieldErrors = Map<string, string>;

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: element #${id} is missing`);
  return e as T;
}

/** A number as text that reads back to the same number (1/1.2 → 0.8333333333333334): what links and files carry. */
export function formatNumber(v: number): string {
  if (v === Infinity) return 'Infinity';
  return String(v);
}

/** A number as a field shows it: 6 significant digits (1/1.2 → 0.833333), so the form reads as a person writes. */
export function displayNumber(v: number): string {
  if (!Number.isFinite(v)) return formatNumber(v);
  return String(Number(v.toPrecision(6)));
}

/** Parses a text field as the CLI parses a number flag (inf allowed); the message names the field. */
function parseNumber(name: string, raw: string, integer: boolean): number {
  const text = raw.trim();
  const v = /^[-+]?inf(inity)?$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
  if (text === '' || Number.isNaN(v)) throw new UserInputError(`${name} must be a number, got "${raw}"`);
  if (integer && !Number.isInteger(v)) throw new UserInputError(`${name} must be an integer, got "${raw}"`);
  return v;
}

/** A seed as the CLI reads one: an integer from 0 to MAX_SEED. */
function parseSeed(text: string): number {
  const seed = parseNumber('seed', text, true);
  if (!isSeed(seed)) throw new ParameterError('seed', text, `an integer from 0 to ${MAX_SEED}`);
  return seed;
}

/** The seeds of a field, in the CLI's list syntax ("1-4,9"). */
export function parseSeeds(raw: string): number[] {
  return parseListValues('seed', raw.trim(), parseSeed, { ranges: true });
}

/** The τ values of a field ("0.3,1"), each checked as the engine checks τ. */
export function parseTaus(raw: string, base: AlmParams): number[] {
  return parseListValues('tau', raw.trim(), (item) => {
    const tau = parseNumber('tau', item, false);
    validateParams({ ...base, gammaMax: Infinity, tau });
    return tau;
  });
}

/** How the baselines' learning rate is set: "select" (empty) or a number > 0. */
export type LrChoice = { select: true } | { select: false; lr: number };

/** The settings of a race beyond the ALM run's: its trial lists, baselines and selection. */
export interface RaceSettings {
  lists: TrialLists;
  baselines: Method[];
  epochs: number;
  lr: LrChoice;
  /** Choose the bold trial on a validation split (and retrain it), as `alm-rnn train --select validation`. */
  select: boolean;
  /**
   * Early stopping on the validation split (`alm-rnn train --early-stop validation`), for the
   * single run as for a race's trials and baselines; absent when the box is not ticked. Unset
   * fields take the API's defaults.
   */
  earlyStop?: EarlyStopOptions;
}

/** The data set's facts and defaults (a CSV file gets the generic ones). */
export function datasetInfo(choice: string, csvName?: string): DatasetInfo {
  return isDatasetName(choice) ? DATASETS[choice] : csvDatasetInfo(csvName ?? 'file.csv');
}

/** The settings form of the page. */
export class SettingsForm {
  readonly dataset = el<HTMLSelectElement>('f-dataset');
  readonly csvInput = el<HTMLInputElement>('f-csv');
  readonly targets = el<HTMLInputElement>('f-targets');
  readonly trainFraction = el<HTMLInputElement>('f-trainFraction');
  readonly standardize = el<HTMLSelectElement>('f-standardize');
  readonly hidden = el<HTMLInputElement>('f-hidden');
  readonly activation = el<HTMLSelectElement>('f-activation');
  readonly omega = el<HTMLInputElement>('f-omega');
  readonly init = el<HTMLSelectElement>('f-init');
  readonly seed = el<HTMLInputElement>('f-seed');
  readonly testHidden = el<HTMLSelectElement>('f-testHidden');
  readonly innerStop = el<HTMLSelectElement>('f-innerStop');
  readonly epochs = el<HTMLInputElement>('f-epochs');
  readonly lr = el<HTMLInputElement>('f-lr');
  readonly select = el<HTMLSelectElement>('f-select');
  readonly earlyStop = el<HTMLInputElement>('f-earlyStop');
  readonly validationSteps = el<HTMLInputElement>('f-validationSteps');
  readonly esPatience = el<HTMLInputElement>('f-esPatience');
  readonly restore = el<HTMLSelectElement>('f-restore');
  /** One checkbox per gradient method of src/baselines. */
  readonly baselineBoxes = new Map<Method, HTMLInputElement>();
  private readonly paramInputs = new Map<NumericParam, HTMLInputElement>();
  private readonly presetNote = el<HTMLParagraphElement>('preset-note');

  constructor() {
    const box = el<HTMLDivElement>('param-fields');
    for (const f of PARAM_FIELDS) {
      const label = document.createElement('label');
      label.className = 'row';
      label.title = f.hint ?? '';
      const span = document.createElement('span');
      span.textContent = f.label;
      const input = document.createElement('input');
      input.type = 'text';
      input.id = `f-${f.key}`;
      input.inputMode = f.integer ? 'numeric' : 'decimal';
      label.append(span, input);
      const err = document.createElement('small');
      err.className = 'field-error';
      err.id = `e-${f.key}`;
      err.hidden = true;
      box.append(label, err);
      this.paramInputs.set(f.key, input);
    }
    this.activation.addEventListener('change', () => this.syncVisibility());
    this.earlyStop.addEventListener('change', () => this.syncVisibility());
    const boxes = el<HTMLDivElement>('baseline-boxes');
    for (const method of METHODS) {
      const label = document.createElement('label');
      label.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = `f-baseline-${method}`;
      box.value = method;
      label.append(box, ` ${method}`);
      boxes.append(label);
      this.baselineBoxes.set(method, box);
    }
  }

  /** The text field of one numeric ALM parameter. */
  paramInput(key: NumericParam): HTMLInputElement {
    return this.paramInputs.get(key)!;
  }

  /**
   * A parameter field's value as text: the exact value the form put there while the field still
   * shows it rounded (η2 = 1/1.2 shows 0.833333 and reads 0.8333333333333334), else what the
   * user typed. Reading and links go through this, so rounding for display changes no run.
   */
  paramText(key: NumericParam): string {
    const input = this.paramInput(key);
    const exact = input.dataset.exact;
    return exact !== undefined && input.value === input.dataset.shown ? exact : input.value;
  }

  /** Puts text in a parameter field as typed (a link's value): read back as it is, nothing kept beside it. */
  setParamText(key: NumericParam, text: string): void {
    const input = this.paramInput(key);
    input.value = text;
    delete input.dataset.shown;
    delete input.dataset.exact;
  }

  /** Puts a value in a parameter field: shown rounded, kept exact (see paramText). */
  setParam(key: NumericParam, v: number): void {
    const input = this.paramInput(key);
    input.value = displayNumber(v);
    input.dataset.shown = input.value;
    input.dataset.exact = formatNumber(v);
  }

  /** The numeric ALM parameters shown, in order. */
  paramKeys(): NumericParam[] {
    return PARAM_FIELDS.map((f) => f.key);
  }

  /** The order a link listed the initialisations in (the trials follow it, as the CLI's do). */
  private initOrder: Initializer[] = [];

  /** The initialisations selected: in the order a link gave them, the others in the list's order. */
  selectedInits(): Initializer[] {
    const selected = [...this.init.selectedOptions].map((o) => o.value as Initializer);
    const rank = (i: Initializer) => (this.initOrder.includes(i) ? this.initOrder.indexOf(i) : this.initOrder.length);
    return selected.map((init, position) => ({ init, position })).sort((a, b) => rank(a.init) - rank(b.init) || a.position - b.position).map((e) => e.init);
  }

  /** Selects exactly these initialisations, in this order (each checked by the CLI's parser). */
  setInits(names: string[]): void {
    const inits = names.map(parseInitializer);
    this.initOrder = inits;
    for (const o of this.init.options) o.selected = inits.includes(o.value as Initializer);
  }

  /** The baselines ticked. */
  selectedBaselines(): Method[] {
    return METHODS.filter((m) => this.baselineBoxes.get(m)!.checked);
  }

  /** Every element whose change may alter the run's settings. */
  inputs(): HTMLElement[] {
    return [
      this.dataset, this.targets, this.trainFraction, this.standardize, this.hidden, this.activation, this.omega,
      this.init, this.seed, this.testHidden, this.innerStop, ...this.paramInputs.values(),
      this.epochs, this.lr, this.select, ...this.baselineBoxes.values(),
      this.earlyStop, this.validationSteps, this.esPatience, this.restore,
    ];
  }

  /** The selected data set name, or "csv". */
  datasetChoice(): string {
    return this.dataset.value;
  }

  backend(): BackendChoice {
    return el<HTMLInputElement>('f-backend-cpu').checked ? 'cpu' : 'webgpu';
  }

  setBackend(choice: BackendChoice): void {
    el<HTMLInputElement>(`f-backend-${choice}`).checked = true;
  }

  /** Shows the fields that apply (CSV file and targets, leaky slope). */
  syncVisibility(): void {
    const csv = this.dataset.value === 'csv';
    el('csv-row').hidden = !csv;
    el('targets-row').hidden = !csv;
    el('omega-row').hidden = this.activation.value !== 'leaky';
    el('early-stop-rows').hidden = !this.earlyStop.checked;
  }

  /**
   * Puts the data set's defaults in the model and ALM fields: r, τ, and its quick caps and η's.
   * A field that holds what the user typed or a link gave (anything but the last default put
   * there) keeps it: choosing another data set or a CSV file changes only what was a default.
   */
  applyDatasetDefaults(choice: string, csvName?: string): void {
    const info = datasetInfo(choice, csvName);
    const params = paramsFor(isDatasetName(choice) ? choice : undefined, { tau: info.tau, overrides: { checkEvery: DEMO_CHECK_EVERY } });
    this.setDefault(this.hidden, String(info.r));
    for (const key of this.paramInputs.keys()) {
      const input = this.paramInput(key);
      if (!this.holdsDefault(input)) continue;
      this.setParam(key, params[key]);
      this.defaults.set(input, input.value);
    }
    this.setDefault(this.innerStop, params.innerStop);
    this.setDefault(this.epochs, String(presetSettings(choice, 'quick').epochs));
    this.presetNote.textContent = 'Defaults: Table 2 of the paper for this data set, with caps for a quick run.';
  }

  /** The value each field last received as a default (see applyDatasetDefaults). */
  private readonly defaults = new Map<HTMLInputElement | HTMLSelectElement, string>();

  /** Whether a field still holds the default last put there (or never got one). */
  private holdsDefault(e: HTMLInputElement | HTMLSelectElement): boolean {
    const given = this.defaults.get(e);
    return given === undefined || e.value === given;
  }

  private setDefault(e: HTMLInputElement | HTMLSelectElement, value: string): void {
    if (!this.holdsDefault(e)) return;
    e.value = value;
    this.defaults.set(e, e.value);
  }

  /**
   * Every setting back to the page's defaults (the values index.html gives them), then the data
   * set's r, τ and caps; the data set and its file stay chosen, and so does the backend.
   */
  resetAll(choice: string, csvName?: string): void {
    this.defaults.clear();
    for (const e of this.inputs()) {
      if (e === this.dataset) continue;
      if (e instanceof HTMLInputElement && e.type === 'checkbox') e.checked = e.defaultChecked;
      else if (e instanceof HTMLInputElement) e.value = e.defaultValue;
      else if (e instanceof HTMLSelectElement && e.multiple) {
        for (const o of e.options) o.selected = o.defaultSelected;
      }
      else if (e instanceof HTMLSelectElement) {
        const option = [...e.options].find((o) => o.defaultSelected) ?? e.options[0];
        e.value = option.value;
      }
    }
    this.trainFraction.value = String(datasetInfo(choice, csvName).trainFraction);
    this.applyDatasetDefaults(choice, csvName);
    this.syncVisibility();
  }

  /** The paper's preset for the data set: its η's and its caps (Table 2 / Table 3). */
  applyPaperPreset(choice: string, csvName?: string): void {
    const info = datasetInfo(choice, csvName);
    const name = isDatasetName(choice) ? choice : undefined;
    this.fillParams(paramsFor(name, { tau: info.tau, paperCaps: true, overrides: { checkEvery: DEMO_CHECK_EVERY } }));
    this.epochs.value = String(presetSettings(choice, 'paper').epochs);
    this.hidden.value = String(info.r);
    this.markDefaults();
    this.presetNote.textContent = name && PAPER_PRESETS[name]
      ? `The paper's settings for ${name}: ${this.paramInputs.get('outer')!.value} outer × ${this.paramInputs.get('inner')!.value} inner.`
      : 'The paper has no preset for a CSV file: Table 2 defaults.';
  }

  private fillParams(p: AlmParams): void {
    for (const key of this.paramInputs.keys()) this.setParam(key, p[key]);
    this.innerStop.value = p.innerStop;
  }

  /** Counts what the form holds now as the defaults (the paper preset is one: a data set change replaces it). */
  private markDefaults(): void {
    for (const e of [this.hidden, this.innerStop, this.epochs, ...this.paramInputs.values()]) this.defaults.set(e, e.value);
  }

  /** Fills every field from a run description (a resumed run). */
  fill(config: RunConfig): void {
    this.dataset.value = isDatasetName(config.dataset) ? config.dataset : 'csv';
    this.targets.value = (config.targets ?? []).join(',');
    this.trainFraction.value = String(config.trainFraction ?? datasetInfo(this.dataset.value).trainFraction);
    this.standardize.value = config.standardize;
    const act = parseActivation(config.activation);
    this.activation.value = act.kind;
    if (act.kind === 'leaky') this.omega.value = String(act.omega);
    this.hidden.value = String(config.hidden ?? datasetInfo(this.dataset.value, config.dataset).r);
    this.init.value = config.init;
    this.seed.value = String(config.seed);
    this.testHidden.value = config.testHidden;
    this.fillParams(config.params);
    // A saved run records early stopping resolved (src/alm/setup.ts): its V, patience and restore are shown.
    const es = config.earlyStop;
    this.earlyStop.checked = es !== undefined;
    this.validationSteps.value = es ? String(es.validationSteps) : '';
    this.esPatience.value = es ? String(es.patience) : '';
    this.restore.value = es?.restore ?? 'retrain';
    this.syncVisibility();
  }

  /** Reads the data fields (those that change the series). */
  readData(): { targets?: string[]; trainFraction: number; standardize: StandardizeChoice; seed: number; errors: FieldErrors } {
    const errors: FieldErrors = new Map();
    const targets = this.dataset.value === 'csv'
      ? this.targets.value.split(',').map((s) => s.trim()).filter((s) => s !== '')
      : [];
    let trainFraction = NaN;
    try {
      trainFraction = parseNumber('train-fraction', this.trainFraction.value, false);
      if (!(trainFraction > 0 && trainFraction < 1)) throw new ParameterError('train-fraction', trainFraction, 'a number strictly between 0 and 1');
    } catch (e) {
      errors.set('trainFraction', (e as Error).message);
    }
    let seed = NaN;
    try {
      // A list of seeds races one trial per seed; the data shown are the first seed's.
      seed = parseSeeds(this.seed.value)[0];
    } catch (e) {
      errors.set('seed', (e as Error).message);
    }
    return {
      targets: targets.length > 0 ? targets : undefined,
      trainFraction,
      standardize: this.standardize.value as StandardizeChoice,
      seed,
      errors,
    };
  }

  /**
   * Reads the whole form into a RunConfig. Each field is checked alone (so that every bad one is
   * marked, each with the engine's message), then the parameters together (e.g. γ max ≥ γ0).
   */
  read(datasetName: string): { config?: RunConfig; race?: RaceSettings; errors: FieldErrors } {
    const data = this.readData();
    const errors = data.errors;
    const choice = this.dataset.value;
    const base = paramsFor(isDatasetName(choice) ? choice : undefined, { tau: datasetInfo(choice).tau });
    const params: AlmParams = { ...base, innerStop: this.innerStop.value === 'certificate' ? 'certificate' : 'cap' };
    let taus: number[] = [];
    for (const f of PARAM_FIELDS) {
      try {
        if (f.key === 'tau') {
          // A list of τ values races one trial per value; the run's own τ is the first.
          taus = parseTaus(this.paramText('tau'), base);
          params.tau = taus[0];
          continue;
        }
        const v = parseNumber(f.key, this.paramText(f.key), f.integer ?? false);
        // γ max is checked against the form's γ0 (read before it, or the default where that field
        // is invalid), so that the message names the γ0 the user sees.
        const probe = f.key === 'gammaMax' ? { ...base, gamma0: params.gamma0, gammaMax: v } : { ...base, gammaMax: Infinity, [f.key]: v };
        validateParams(probe);
        params[f.key] = v;
      } catch (e) {
        errors.set(f.key, (e as Error).message);
      }
    }
    if (!PARAM_FIELDS.some((f) => errors.has(f.key))) {
      try {
        validateParams(params);
      } catch (e) {
        const name = e instanceof ParameterError ? e.parameter : 'outer';
        errors.set(name, (e as Error).message);
      }
    }
    let hidden = NaN;
    try {
      hidden = validateHidden(parseNumber('hidden', this.hidden.value, true));
    } catch (e) {
      errors.set('hidden', (e as Error).message);
    }
    let activation = this.activation.value;
    if (activation === 'leaky') {
      activation = `leaky:${this.omega.value.trim()}`;
      try {
        parseActivation(activation);
      } catch (e) {
        errors.set('omega', e instanceof UserInputError ? e.message : String(e));
      }
    }
    const inits = this.selectedInits();
    if (inits.length === 0) errors.set('init', 'init: select at least one initialisation');
    const race = this.readRace(errors);
    let seeds: number[] = [];
    try {
      seeds = parseSeeds(this.seed.value);
    } catch {
      // Already marked by readData.
    }
    if (seeds.length > 0 && taus.length > 0 && inits.length > 0) {
      try {
        checkTrialCount({ inits, taus, seeds });
      } catch (e) {
        errors.set('seed', (e as Error).message);
      }
    }
    if (errors.size > 0) return { errors };
    const config: RunConfig = {
      dataset: datasetName,
      targets: data.targets,
      hidden,
      activation,
      init: inits[0],
      seed: data.seed,
      trainFraction: data.trainFraction,
      standardize: data.standardize,
      testHidden: this.testHidden.value as TestHidden,
      params,
    };
    return { config, race: { ...race!, lists: { inits, taus, seeds } }, errors };
  }

  /** Reads the race's own fields (baselines, epochs, learning rate, selection), marking bad ones in `errors`. */
  private readRace(errors: FieldErrors): Omit<RaceSettings, 'lists'> | undefined {
    let epochs = NaN;
    try {
      epochs = parseNumber('epochs', this.epochs.value, true);
      if (!(epochs >= 1 && epochs <= MAX_EPOCHS)) throw new ParameterError('epochs', epochs, `an integer from 1 to ${MAX_EPOCHS}`);
    } catch (e) {
      errors.set('epochs', (e as Error).message);
    }
    let lr: LrChoice = { select: true };
    const text = this.lr.value.trim();
    if (text !== '' && text !== 'select') {
      try {
        const v = parseNumber('lr', text, false);
        if (!(v > 0 && Number.isFinite(v))) throw new ParameterError('lr', v, 'a finite number > 0, or empty to select it on the validation split');
        lr = { select: false, lr: v };
      } catch (e) {
        errors.set('lr', (e as Error).message);
      }
    }
    const earlyStop = this.readEarlyStop(errors);
    if (errors.has('epochs') || errors.has('lr') || errors.has('validationSteps') || errors.has('esPatience')) return undefined;
    return { baselines: this.selectedBaselines(), epochs, lr, select: this.select.value === 'validation', ...(earlyStop ? { earlyStop } : {}) };
  }

  /**
   * Early stopping's fields, as the API's earlyStop option (empty fields: its defaults), or
   * undefined when the box is not ticked. The range of V depends on the data: the page checks it
   * once the data are loaded (main.ts).
   */
  private readEarlyStop(errors: FieldErrors): EarlyStopOptions | undefined {
    if (!this.earlyStop.checked) return undefined;
    const out: EarlyStopOptions = { restore: this.restore.value === 'best' ? 'best' : 'retrain' };
    const integer = (field: string, flag: string, input: HTMLInputElement): number | undefined => {
      if (input.value.trim() === '') return undefined;
      try {
        const v = parseNumber(flag, input.value, true);
        if (!(v >= 1 && Number.isSafeInteger(v))) throw new ParameterError(flag, v, 'an integer ≥ 1, or empty for the default');
        return v;
      } catch (e) {
        errors.set(field, (e as Error).message);
        return undefined;
      }
    };
    const V = integer('validationSteps', 'validation-steps', this.validationSteps);
    const patience = integer('esPatience', 'patience', this.esPatience);
    if (V !== undefined) out.validationSteps = V;
    if (patience !== undefined) out.patience = patience;
    return out;
  }

  /** Marks the invalid fields with their messages and clears the others. */
  mark(errors: FieldErrors): void {
    const names = ['trainFraction', 'seed', 'hidden', 'omega', 'init', 'epochs', 'lr', 'validationSteps', 'esPatience', ...PARAM_FIELDS.map((f) => f.key)];
    for (const name of names) {
      const input = document.getElementById(`f-${name}`) as HTMLInputElement | null;
      const msg = document.getElementById(`e-${name}`);
      const text = errors.get(name);
      input?.classList.toggle('invalid', text !== undefined);
      input?.setAttribute('aria-invalid', String(text !== undefined));
      if (msg) {
        msg.hidden = text === undefined;
        msg.textContent = text ?? '';
      }
    }
  }

  /** Enables or disables every setting (while a run is going). */
  setDisabled(disabled: boolean): void {
    for (const e of el<HTMLFormElement>('settings').querySelectorAll('input, select, button')) {
      (e as HTMLInputElement).disabled = disabled;
    }
  }
}
