// The page's settings in its URL, under the CLI's flag names and list syntax (dataset=, hidden=,
// seed=1-4, init=he,lecun, tau=0.3,1, outer=, inner=, backend=, early-stop=validation with
// validation-steps=, patience= and restore=, …) plus baselines=adam,gd, epochs=, lr=,
// select=validation and autostart=1, so that a link reproduces a run. Only a
// built-in data set can travel in a link (a CSV file stays on the visitor's machine).
import { METHODS, paramsFor, parseActivation, parseListValues } from 'alm-rnn';
import { isDatasetName } from 'alm-rnn/datasets';
import { DEMO_CHECK_EVERY, datasetInfo, formatNumber, type SettingsForm } from './form.ts';

/** CLI flag name → the ALM parameter field it sets (the names that differ are the CLI's kebab-case ones). */
const PARAM_FLAGS: Record<string, string> = {
  'gamma-max': 'gammaMax', 'feas-floor': 'feasFloor', 'check-every': 'checkEvery',
};

function paramFlag(key: string): string {
  return Object.entries(PARAM_FLAGS).find(([, k]) => k === key)?.[0] ?? key;
}

/** Early stopping's parameters: the CLI's `--early-stop validation` and the flags that go with it. */
const EARLY_STOP_NAMES = ['early-stop', 'validation-steps', 'patience', 'restore'] as const;

/** The URL parameters the page reads besides the ALM parameters. */
const OTHER_NAMES = ['dataset', 'hidden', 'activation', 'init', 'seed', 'inner-stop', 'test-hidden', 'train-fraction', 'standardize',
  'backend', 'baselines', 'epochs', 'lr', 'select', 'autostart', ...EARLY_STOP_NAMES] as const;

function setSelect(select: HTMLSelectElement, name: string, value: string, choices = [...select.options].map((o) => o.value)): string | null {
  if (!choices.includes(value)) return `URL parameter ${name}=${value}: must be one of ${choices.join(', ')} (ignored)`;
  select.value = value;
  return null;
}

/**
 * Puts the URL's settings in the form (the data set first, so that its defaults lie under the
 * rest). Returns one line per parameter that could not be used; a value the form can hold but
 * the engine refuses goes into its field, where validation marks it.
 */
export function applyQuery(linkQuery: URLSearchParams, form: SettingsForm, setBackend: (b: string) => string | null): { notices: string[]; autostart: boolean; any: boolean } {
  const notices: string[] = [];
  // A parameter given twice (seed=1&seed=2) has no one meaning: it is refused, not read as its
  // first value, and the link does not start a run the user may not have meant.
  const query = new URLSearchParams(linkQuery);
  const repeated = [...new Set(linkQuery.keys())].filter((name) => linkQuery.getAll(name).length > 1);
  for (const name of repeated) {
    const values = linkQuery.getAll(name).map((v) => (v.length > 40 ? `${v.slice(0, 40)}…` : v));
    notices.push(`URL parameter ${name} is given ${values.length} times (${values.join(', ')}): give it once (ignored)`);
    query.delete(name);
  }
  if (repeated.length > 0 && linkQuery.has('autostart')) notices.push('autostart=1: the run was not started, as the link repeats a parameter');
  const known = new Set<string>([...OTHER_NAMES, ...form.paramKeys().map(paramFlag)]);
  let any = false;
  for (const name of query.keys()) {
    if (!known.has(name)) notices.push(`URL parameter "${name}" is not a setting of this page (ignored)`);
    else any = true;
  }
  const dataset = query.get('dataset');
  if (dataset !== null) {
    if (isDatasetName(dataset)) form.dataset.value = dataset;
    else notices.push(`URL parameter dataset=${dataset}: a link can name a built-in data set only (synthetic-small, synthetic-large, sp500, welch-goyal); choose a CSV file in the page (ignored)`);
  }
  form.syncVisibility();
  form.applyDatasetDefaults(form.datasetChoice());
  const text = (name: string, input: HTMLInputElement): void => {
    const v = query.get(name);
    if (v !== null) input.value = v;
  };
  text('hidden', form.hidden);
  text('seed', form.seed);
  text('train-fraction', form.trainFraction);
  text('epochs', form.epochs);
  text('lr', form.lr);
  const activation = query.get('activation');
  if (activation !== null) {
    try {
      const act = parseActivation(activation);
      form.activation.value = act.kind;
      if (act.kind === 'leaky') form.omega.value = String(act.omega);
    } catch (e) {
      notices.push(`URL parameter activation=${activation}: ${(e as Error).message} (ignored)`);
    }
  }
  const init = query.get('init');
  if (init !== null) {
    try {
      form.setInits(parseListValues('init', init, (s) => s));
    } catch (e) {
      notices.push(`URL parameter init=${init}: ${(e as Error).message} (ignored)`);
    }
  }
  for (const key of form.paramKeys()) {
    const v = query.get(paramFlag(key));
    if (v !== null) form.setParamText(key, v);
  }
  const choices: [string, HTMLSelectElement][] = [
    ['inner-stop', form.innerStop], ['test-hidden', form.testHidden], ['standardize', form.standardize], ['select', form.select],
  ];
  for (const [name, select] of choices) {
    const v = query.get(name);
    if (v !== null) {
      const note = setSelect(select, name, v);
      if (note) notices.push(note);
    }
  }
  const earlyStop = query.get('early-stop');
  if (earlyStop !== null && earlyStop !== 'validation') notices.push(`URL parameter early-stop=${earlyStop}: must be validation (ignored)`);
  form.earlyStop.checked = earlyStop === 'validation';
  if (form.earlyStop.checked) {
    text('validation-steps', form.validationSteps);
    text('patience', form.esPatience);
    const restore = query.get('restore');
    if (restore !== null) {
      const note = setSelect(form.restore, 'restore', restore);
      if (note) notices.push(note);
    }
  } else {
    // As `alm-rnn train` refuses --patience or --restore without --early-stop (the page's patience is early stopping's).
    for (const name of EARLY_STOP_NAMES.slice(1)) {
      if (query.has(name)) notices.push(`URL parameter ${name}=${query.get(name)}: needs early-stop=validation (ignored)`);
    }
  }
  const backend = query.get('backend');
  if (backend !== null) {
    const note = setBackend(backend);
    if (note) notices.push(note);
  }
  const baselines = query.get('baselines');
  if (baselines !== null) {
    try {
      const methods = baselines.trim() === '' ? [] : parseListValues('baselines', baselines, (s) => {
        if (!(METHODS as readonly string[]).includes(s)) throw new Error(`"${s}" is not one of ${METHODS.join(', ')}`);
        return s;
      });
      for (const [m, box] of form.baselineBoxes) box.checked = methods.includes(m);
    } catch (e) {
      notices.push(`URL parameter baselines=${baselines}: ${(e as Error).message} (ignored)`);
    }
  }
  form.syncVisibility();
  return { notices, autostart: repeated.length === 0 && query.get('autostart') === '1', any };
}

/**
 * The form as URL parameters: the data set, the model, the trial lists and the caps always; the
 * other ALM parameters where they differ from the data set's defaults; the race's settings when set.
 */
export function queryFromForm(form: SettingsForm, backend: string): URLSearchParams {
  const q = new URLSearchParams();
  const choice = form.datasetChoice();
  if (isDatasetName(choice)) q.set('dataset', choice);
  q.set('hidden', form.hidden.value.trim());
  q.set('activation', form.activation.value === 'leaky' ? `leaky:${form.omega.value.trim()}` : form.activation.value);
  q.set('init', form.selectedInits().join(','));
  q.set('seed', form.seed.value.trim());
  const info = datasetInfo(choice);
  const defaults = paramsFor(isDatasetName(choice) ? choice : undefined, { tau: info.tau, overrides: { checkEvery: DEMO_CHECK_EVERY } });
  for (const key of form.paramKeys()) {
    const v = form.paramText(key).trim();
    if (key === 'tau' || key === 'outer' || key === 'inner' || v !== formatNumber(defaults[key])) q.set(paramFlag(key), v);
  }
  if (form.innerStop.value !== defaults.innerStop) q.set('inner-stop', form.innerStop.value);
  if (form.testHidden.value !== 'carry') q.set('test-hidden', form.testHidden.value);
  if (form.trainFraction.value.trim() !== String(info.trainFraction)) q.set('train-fraction', form.trainFraction.value.trim());
  if (form.standardize.value !== 'whole') q.set('standardize', form.standardize.value);
  q.set('backend', backend);
  const baselines = form.selectedBaselines();
  if (baselines.length > 0) {
    q.set('baselines', baselines.join(','));
    q.set('epochs', form.epochs.value.trim());
    if (form.lr.value.trim() !== '') q.set('lr', form.lr.value.trim());
  }
  if (form.select.value !== 'none') q.set('select', form.select.value);
  if (form.earlyStop.checked) {
    q.set('early-stop', 'validation');
    if (form.validationSteps.value.trim() !== '') q.set('validation-steps', form.validationSteps.value.trim());
    if (form.esPatience.value.trim() !== '') q.set('patience', form.esPatience.value.trim());
    if (form.restore.value !== 'retrain') q.set('restore', form.restore.value);
  }
  return q;
}
