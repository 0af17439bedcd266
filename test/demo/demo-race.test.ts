// The demo page's race: a link with 4 ALM trials and Adam on synthetic-small runs to the end on
// WebGPU (SwiftShader here: one batch of 4), and on the CPU with WebGPU disabled (a pool of Web
// Workers; trials chosen on the validation split, the chosen one retrained; every baseline's
// learning rate selected). Every trial and baseline is drawn, the table lists the trials, the
// exported models are read by `alm-rnn train --init-from` and reproduce the page's scores; the
// URL follows the form; the time estimate comes before a large race; pause, resume and stop;
// a link with bad settings is answered at the fields; early stopping (a race, then a single run,
// in one page) draws every validation curve with k* marked, as the CLI's k*.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/problem/datasets.ts';
import { evaluate } from '../../src/problem/model.ts';
import { modelFromJson } from '../../src/problem/model-file.ts';
import { runCli } from '../helpers/cli.ts';
import { ARTIFACTS, buildAndServe, captureDownloads, hook, launchBrowser, openDemo, setField, waitForState, type ServedDemo } from './helpers.ts';

interface RaceCounts {
  trialCurves: number;
  workLines: number;
  timeLines: number;
  rows: number;
  baselinePoints: Record<string, number>;
  best: number;
  finished: boolean;
}

function raceCounts(page: Page): Promise<RaceCounts | null> {
  return page.evaluate(() => (window as unknown as { almDemo: { race(): unknown } }).almDemo.race()) as Promise<RaceCounts | null>;
}

interface RaceResults {
  trials: { trial: number; init: string; tau: number; seed: number; initialTrainErr: number; trainErr: number; testErr: number; valErr?: number; stopReason: string; history: unknown[] }[];
  selection: { chosen: number; validationSteps?: number };
  retrained?: { trainErr: number; testErr: number };
  baselines: { method: string; lr: number; selected: boolean; stopped: string; history: { epoch: number; trainErr: number }[] }[];
  backend: { kind: string };
}

const files = mkdtempSync(join(tmpdir(), 'alm-rnn-race-files-'));

/** The model's TrainErr and TestErr on synthetic-small drawn with `seed` (as the page's trial, and the CLI, draw it). */
function scores(text: string, seed: number): { trainErr: number; testErr: number } {
  const model = modelFromJson(JSON.parse(text));
  const loaded = loadDataset('synthetic-small', { seed, standardize: 'whole' });
  return evaluate(model.weights, { name: 'synthetic-small', series: loaded.series, T1: loaded.T1, r: model.weights.r, activation: model.activation });
}

/** `alm-rnn train --init-from` reads the file (one sweep from it, so the run itself is quick). */
async function cliReads(path: string, seed: number): Promise<void> {
  const cli = await runCli(['train', '--dataset', 'synthetic-small', '--seed', String(seed), '--init-from', path, '--outer', '1', '--inner', '1', '--backend', 'cpu', '--json']);
  expect(cli.stderr).not.toMatch(/alm-rnn: /);
  expect(cli.code).toBe(0);
  const summary = JSON.parse(cli.stdout) as { outerIterations: number };
  expect(summary.outerIterations).toBe(1);
}

/** Seconds of a duration as the page writes it: "84 ms", "2.5 s", "3 min 20 s", "2 h 5 min". */
function seconds(text: string): number {
  const t = text.trim();
  let m = /^([\d.]+) ms$/.exec(t);
  if (m) return Number(m[1]) / 1000;
  m = /^([\d.]+) s$/.exec(t);
  if (m) return Number(m[1]);
  m = /^(\d+) min (\d+) s$/.exec(t);
  if (m) return 60 * Number(m[1]) + Number(m[2]);
  m = /^(\d+) h (\d+) min$/.exec(t);
  if (m) return 3600 * Number(m[1]) + 60 * Number(m[2]);
  throw new Error(`not a duration: "${text}"`);
}

let served: ServedDemo;

beforeAll(async () => {
  served = await buildAndServe();
}, 120_000);

afterAll(async () => {
  await served?.close();
});

describe('a race on WebGPU', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser({ webgpu: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('runs 4 trials as one batch and Adam from a link, draws them all, lists the trials, and exports the chosen model', async () => {
    const link = `${served.url}?dataset=synthetic-small&seed=1-4&outer=2&inner=3&backend=webgpu&baselines=adam&epochs=20&lr=0.01&autostart=1`;
    const { page, errors } = await openDemo(browser, link);
    const nextDownload = await captureDownloads(page);
    expect(await page.$eval('#f-seed', (e) => (e as HTMLInputElement).value)).toBe('1-4');
    expect(await page.$eval('#f-baseline-adam', (e) => (e as HTMLInputElement).checked)).toBe(true);
    expect(await page.$eval('#trial-count', (e) => e.textContent)).toMatch(/^4 trials \(init normal-1e-1 × τ 1 × seed 1,2,3,4\) on one WebGPU batch, baselines adam \(20 epochs, η = 0\.01\)/);
    await waitForState(page, ['done'], 300_000);
    const counts = (await raceCounts(page))!;
    expect(counts.finished).toBe(true);
    expect(counts.trialCurves).toBe(4);
    // Four trial lines and Adam's on both axes.
    expect(counts.workLines).toBe(5);
    expect(counts.timeLines).toBe(5);
    expect(counts.baselinePoints).toEqual({ adam: 21 });
    expect(counts.rows).toBe(4);
    expect(await page.$$eval('#race-trials tbody tr', (rows) => rows.map((r) => r.lastElementChild!.textContent))).toEqual(['outer-cap', 'outer-cap', 'outer-cap', 'outer-cap']);
    expect(await page.$eval('#chart-race-work', (e) => e.textContent)).toMatch(/one sweep ≠ one epoch/);

    await page.click('#btn-race-export-results');
    const results = JSON.parse((await nextDownload()).text) as RaceResults;
    expect(results.backend.kind).toBe('webgpu');
    expect(results.trials.map((t) => t.seed)).toEqual([1, 2, 3, 4]);
    expect(results.baselines.map((b) => [b.method, b.lr, b.selected, b.stopped])).toEqual([['adam', 0.01, false, 'epochs']]);
    // Adam starts where trial 0 starts: the same data and the same initial weights.
    expect(results.trials[0].initialTrainErr).toBeCloseTo(results.baselines[0].history[0].trainErr, 12);
    expect(results.trials[1].initialTrainErr).not.toBeCloseTo(results.baselines[0].history[0].trainErr, 6);
    // The bold trial is the lowest TrainErr.
    const best = results.selection.chosen;
    expect(best).toBe(counts.best);
    const lowest = Math.min(...results.trials.map((t) => t.trainErr));
    expect(results.trials[best].trainErr).toBe(lowest);

    await page.click('#btn-race-export-chosen');
    const chosen = await nextDownload();
    expect(chosen.name).toBe(`alm-rnn-model-synthetic-small-normal-1e-1_tau1_seed${best + 1}.json`);
    const errs = scores(chosen.text, best + 1);
    // float32 on the GPU, float64 here: the errors agree to f32 accuracy.
    expect(errs.trainErr).toBeCloseTo(results.trials[best].trainErr, 5);
    const path = join(files, 'chosen.json');
    writeFileSync(path, chosen.text);
    await cliReads(path, best + 1);

    // Clicking a row shows that trial's fit on the test part.
    await page.click('#race-trials tbody tr[data-trial="2"]');
    expect(await page.$eval('#chart-race-fit', (e) => e.textContent)).toMatch(/fitted on the test part: trial #2/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-race-webgpu.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 420_000);
});

describe('a race on the CPU workers (WebGPU disabled)', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser({ webgpu: false });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('chooses among 4 trials on the validation split over a pool of workers, retrains the chosen one, and selects every baseline\'s learning rate the same way', async () => {
    const link = `${served.url}?dataset=synthetic-small&seed=1-4&outer=3&inner=4&backend=cpu&baselines=adam,gd,gdc,gdnm,sgd&epochs=15&select=validation&autostart=1`;
    const { page, errors } = await openDemo(browser, link);
    const nextDownload = await captureDownloads(page);
    expect(await page.$eval('#trial-count', (e) => e.textContent)).toMatch(/^4 trials .* on 2 CPU workers, baselines gd, gdc, gdnm, sgd, adam \(15 epochs, learning rate selected on the validation split\)/);
    await waitForState(page, ['done'], 300_000);
    const counts = (await raceCounts(page))!;
    expect(counts.trialCurves).toBe(4);
    // Four trials on the fit part, the retrained chosen one, and the five baselines.
    expect(counts.workLines).toBe(10);
    expect(counts.rows).toBe(4);
    expect(await page.$$eval('#race-trials tbody tr.chosen-row', (rows) => rows.length)).toBe(1);
    expect(await page.$eval('#chart-race-fit', (e) => e.textContent)).toMatch(/fitted on the test part: chosen, retrained/);

    await page.click('#btn-race-export-results');
    const results = JSON.parse((await nextDownload()).text) as RaceResults;
    const valErrs = results.trials.map((t) => t.valErr!);
    expect(valErrs.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
    expect(results.selection.chosen).toBe(valErrs.indexOf(Math.min(...valErrs)));
    // The learning rates: the experiments' quick grid for synthetic-small, the lowest validation error (GDC also over its clipping norms).
    expect(results.baselines.map((b) => b.method)).toEqual(['gd', 'gdc', 'gdnm', 'sgd', 'adam']);
    for (const b of results.baselines) {
      expect(b.selected).toBe(true);
      expect([1e-3, 1e-2, 1e-1]).toContain(b.lr);
      expect(b.history).toHaveLength(16);
    }
    expect([1, 4]).toContain((results.baselines[1] as { clip?: number }).clip);

    // The chosen model is the retrained one: trained on the whole training part, it reproduces the retrained scores.
    await page.click('#btn-race-export-chosen');
    const chosen = await nextDownload();
    const seed = results.trials[results.selection.chosen].seed;
    const errs = scores(chosen.text, seed);
    expect(errs.trainErr).toBeCloseTo(results.retrained!.trainErr, 10);
    expect(errs.testErr).toBeCloseTo(results.retrained!.testErr, 10);
    const path = join(files, 'chosen-cpu.json');
    writeFileSync(path, chosen.text);
    await cliReads(path, seed);

    // Every trial's model, named as `train --out DIR/` names them.
    await page.click('#btn-race-export-all');
    const names: string[] = [];
    for (let i = 0; i < 4; i++) names.push((await nextDownload()).name);
    expect(names.sort()).toEqual([1, 2, 3, 4].map((s) => `normal-1e-1_tau1_seed${s}.json`));

    // The form writes its settings back into the URL as they change.
    await setField(page, 'f-seed', '1-3');
    const search = await page.evaluate(() => location.search);
    expect(new URLSearchParams(search).get('seed')).toBe('1-3');
    expect(new URLSearchParams(search).get('baselines')).toBe('gd,gdc,gdnm,sgd,adam');
    expect(new URLSearchParams(search).get('select')).toBe('validation');
    expect(errors).toEqual([]);
  }, 420_000);

  it('shows the ★ trial\'s fit when the race ends, whichever slice of trials finishes first (README\'s race link, 5 times)', async () => {
    // The trials run in slices over the workers; the fit plot once stayed on the best trial of
    // the first slice to finish (3 runs in 7), while the table marked another one.
    const link = `${served.url}?dataset=synthetic-small&seed=1-4&outer=10&inner=10&backend=cpu&baselines=adam&epochs=200&autostart=1`;
    for (let run = 0; run < 5; run++) {
      const { page, errors } = await openDemo(browser, link);
      await waitForState(page, ['done'], 120_000);
      const best = (await raceCounts(page))!.best;
      expect(await page.$eval('#race-trials tbody tr.best', (e) => (e as HTMLElement).dataset.trial)).toBe(String(best));
      expect(await page.$eval('#race-trials tbody tr.shown', (e) => (e as HTMLElement).dataset.trial)).toBe(String(best));
      expect(await page.$eval('#chart-race-fit', (e) => e.textContent)).toMatch(new RegExp(`fitted on the test part: trial #${best}(?!\\d)`));
      expect(errors).toEqual([]);
      await page.close();
    }
  }, 300_000);

  it('shows its time estimate for synthetic-large at the paper\'s caps before the race starts, and stops on Stop', async () => {
    const { page, errors } = await openDemo(browser, `${served.url}?dataset=synthetic-large&seed=1-2&backend=cpu`);
    await page.click('#btn-paper');
    expect(await page.$eval('#f-outer', (e) => (e as HTMLInputElement).value)).toBe('100');
    await page.click('#btn-estimate');
    await page.waitForFunction(() => /^(Estimated|No estimate)/.test(document.getElementById('race-estimate')!.textContent ?? ''), { timeout: 120_000, polling: 100 });
    const estimate = await page.$eval('#race-estimate', (e) => e.textContent ?? '');
    expect(estimate).toMatch(/^Estimated on this device \(cpu \(float64 reference\)\): 2 trials × 100 × 500 sweeps ≈ \d/);
    // The estimate scales the timed sweep to the caps: at least 100 × 500 sweeps of it.
    const perSweep = /\(([^()]+) per sweep of 1 trial, 2 workers/.exec(estimate);
    const total = /sweeps ≈ ([^(]+) \(/.exec(estimate);
    expect(perSweep).not.toBeNull();
    // (Both figures are rounded for display, to 2–3 digits: hence the 10 % margin.)
    expect(seconds(total![1])).toBeGreaterThanOrEqual(100 * 500 * seconds(perSweep![1]) * 0.9);
    // A race this large is timed first, then starts.
    await page.$eval('#race-estimate', (e) => { e.textContent = ''; });
    await page.click('#btn-start');
    await page.waitForFunction(() => /^Estimated/.test(document.getElementById('race-estimate')!.textContent ?? ''), { timeout: 120_000, polling: 100 });
    await waitForState(page, ['running'], 60_000);
    await page.click('#btn-stop');
    await waitForState(page, ['stopped'], 120_000);
    expect((await raceCounts(page))!.finished).toBe(true);
    expect(await page.$$eval('#race-trials tbody tr', (rows) => rows.map((r) => r.lastElementChild!.textContent))).toEqual(['stopped', 'stopped']);
    expect(errors).toEqual([]);
  }, 300_000);

  it('pauses the trials between batches of sweeps and the baseline within its epochs, and resumes them to the end', async () => {
    const { page, errors } = await openDemo(browser,
      `${served.url}?dataset=synthetic-large&seed=1-2&outer=3&inner=20&check-every=1&backend=cpu&baselines=gd&lr=0.01&epochs=2000&autostart=1`);
    await waitForState(page, ['running'], 30_000);
    await page.waitForFunction(() => /outer [1-3]\/3/.test(document.getElementById('progress-text')!.textContent ?? ''), { timeout: 60_000, polling: 50 });
    await page.click('#btn-pause');
    await waitForState(page, ['paused'], 60_000);
    const tables = () => page.$$eval('#race-trials tbody, #race-baselines tbody', (es) => es.map((e) => e.textContent));
    const before = await tables();
    expect(before[1]).toMatch(/running$/); // the baseline was paused mid-run, not finished
    await new Promise((r) => setTimeout(r, 1500));
    // Nothing moves while paused, the baseline's epochs neither.
    expect(await tables()).toEqual(before);
    expect((await raceCounts(page))!.finished).toBe(false);
    await page.click('#btn-resume');
    await waitForState(page, ['done'], 120_000);
    expect(await page.$$eval('#race-trials tbody tr', (rows) => rows.map((r) => r.lastElementChild!.textContent))).toEqual(['outer-cap', 'outer-cap']);
    expect(errors).toEqual([]);
  }, 240_000);

  it('says which settings of a link it could not use, and marks a bad list at its field', async () => {
    const { page, errors } = await openDemo(browser, `${served.url}?dataset=synthetic-small&seed=3-1&init=lecun,he&colour=blue&baselines=adam,rmsprop&patience=3`);
    // The initialisations keep the link's order (the trials' order, as in the CLI).
    expect(new URLSearchParams(await page.evaluate(() => location.search)).get('init')).toBe('lecun,he');
    expect(await page.$eval('#run-notice', (e) => e.textContent)).toMatch(/URL parameter "colour" is not a setting of this page[\s\S]*patience=3: needs early-stop=validation \(ignored\)[\s\S]*baselines=adam,rmsprop: "rmsprop" is not one of gd, gdc, gdnm, sgd, adam/);
    expect(await page.$eval('#e-seed', (e) => e.textContent)).toBe('seed: the range "3-1" is empty (write the smaller end first)');
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  it('stops every trial and baseline early from a link: validation curves with k* marked, the final models retrained; then a single run, labelled, and a selection, at the CLI\'s k*', async () => {
    const es = 'early-stop=validation&validation-steps=2&patience=2';
    const { page, errors } = await openDemo(browser, `${served.url}?dataset=synthetic-small&seed=1-2&outer=12&inner=3&backend=cpu&baselines=adam&epochs=60&lr=0.05&${es}&autostart=1`);
    expect(await page.$eval('#f-earlyStop', (e) => (e as HTMLInputElement).checked)).toBe(true);
    expect(await page.$eval('#trial-count', (e) => e.textContent)).toMatch(/each stopped early on the validation split/);
    await waitForState(page, ['done'], 120_000);
    // The URL carries the settings back, under the CLI's names.
    const query = new URLSearchParams(await page.evaluate(() => location.search));
    expect([query.get('early-stop'), query.get('validation-steps'), query.get('patience'), query.get('restore')]).toEqual(['validation', '2', '2', null]);
    type Count = { k: number; marker: number[]; xAtK: number; valPoints: number };
    const counts = await page.evaluate(() => (window as unknown as { almDemo: { raceEarlyStop(): unknown } }).almDemo.raceEarlyStop()) as { trials: Count[]; baselines: Record<string, Count> };
    for (const c of [...counts.trials, counts.baselines.adam]) {
      expect(c.k).toBeGreaterThanOrEqual(1);
      // One marker, on the validation curve, at k* (a trial's x: its sweeps after k* outer iterations; Adam's: the epoch).
      expect(c.marker).toEqual([c.xAtK]);
      expect(c.valPoints).toBeGreaterThanOrEqual(c.k);
    }
    const heads = await page.$$eval('#race-trials thead th, #race-baselines thead th', (ths) => ths.map((t) => t.textContent));
    expect(heads.filter((h) => h === 'k*')).toHaveLength(2);
    const table = await page.$$eval('#race-trials tbody tr[data-trial]', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    // #, init, τ, seed, ValErr, k*, stopped at, TrainErr, TestErr, FeasVio, outer: the final model ran k* outer iterations.
    table.forEach((cells, i) => {
      expect(cells[5]).toBe(String(counts.trials[i].k));
      expect(cells[10]).toBe(String(counts.trials[i].k));
    });
    const race = JSON.parse(await page.evaluate(() => {
      const hooks = (window as unknown as { almDemo: { race(): unknown } }).almDemo;
      return JSON.stringify(hooks.race());
    })) as RaceCounts;
    // Two trials (fit part: TrainErr, ValErr, k*), the ★ one's retraining, Adam's three and its retraining.
    expect(race.workLines).toBe(2 * 3 + 1 + 3 + 1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-early-stop-race.png'), fullPage: true });

    // The same settings as one run: the TestErr of the fit part is called the validation error, and k* is the CLI's.
    await setField(page, 'f-seed', '1');
    await page.click('#f-baseline-adam');
    await page.click('#btn-start');
    await waitForState(page, ['done'], 120_000);
    expect(await page.$eval('#early-stop-note', (e) => e.textContent)).toMatch(/last 2 steps; its ValErr \(dashed\) is the error on those held-out steps, not TestErr/);
    const single = await page.evaluate(() => (window as unknown as { almDemo: { earlyStop(): unknown } }).almDemo.earlyStop()) as {
      marker: number[]; kStar: { k: number }; outcome: { k: number; stoppedAt: number; valErr: number; restore: string };
    };
    const plotted = await hook(page, 'counts');
    expect(single.kStar.k).toBe(single.outcome.k);
    expect(single.marker).toEqual([single.outcome.k]);
    expect(plotted.valErr).toBe(single.outcome.stoppedAt);
    expect(plotted.retrained).toBe(single.outcome.k);
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(new RegExp(`early stopping: k\\* = ${single.outcome.k} \\(ValErr .*retrained for ${single.outcome.k} on the whole training part`));
    const cli = await runCli(['train', '--dataset', 'synthetic-small', '--seed', '1', '--outer', '12', '--inner', '3', '--early-stop', 'validation', '--validation-steps', '2', '--patience', '2', '--backend', 'cpu', '--json']);
    expect(cli.code, cli.stderr).toBe(0);
    const summary = JSON.parse(cli.stdout) as { trainErr: number; testErr: number; earlyStop: { k: number; stoppedAt: number; valErr: number } };
    expect([single.outcome.k, single.outcome.stoppedAt]).toEqual([summary.earlyStop.k, summary.earlyStop.stoppedAt]);
    expect(single.outcome.valErr).toBeCloseTo(summary.earlyStop.valErr, 12);
    // What the page exports is the final model, retrained for k*: the CLI's.
    const nextDownload = await captureDownloads(page);
    await page.click('#btn-export-model');
    const model = scores((await nextDownload()).text, 1);
    expect(model.trainErr).toBeCloseTo(summary.trainErr, 10);
    expect(model.testErr).toBeCloseTo(summary.testErr, 10);
    await page.click('#btn-export-history-json');
    const history = JSON.parse((await nextDownload()).text) as { history: unknown[]; earlyStop: { k: number; validationSteps: number; fitHistory: unknown[] } };
    expect([history.history.length, history.earlyStop.k, history.earlyStop.validationSteps, history.earlyStop.fitHistory.length])
      .toEqual([single.outcome.k, single.outcome.k, 2, single.outcome.stoppedAt]);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-early-stop.png'), fullPage: true });
    // Saved in the browser during its run on the fit part (called so); continued, it ends as it did, its settings kept.
    expect(await page.$eval('#saved-run-text', (e) => e.textContent)).toMatch(new RegExp(`${single.outcome.stoppedAt} of 12 outer iterations \\(\\d+ sweeps\\) on the fit part \\(early stopping\\), TrainErr [^,]+, ValErr `));
    await page.click('#btn-continue');
    await waitForState(page, ['done'], 120_000);
    const continued = await page.evaluate(() => (window as unknown as { almDemo: { earlyStop(): unknown } }).almDemo.earlyStop()) as typeof single;
    expect(continued.outcome).toEqual(single.outcome);
    // V must leave 2 of synthetic-small's 9 training steps to fit on: refused at its field, with the engine's range.
    await setField(page, 'f-validationSteps', '8');
    expect(await page.$eval('#e-validationSteps', (e) => e.textContent)).toBe('validation-steps = 8 is out of range: an integer in [1, 7] (the training part has 9 steps; at least 2 must remain to fit on)');
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    await setField(page, 'f-esPatience', '0');
    expect(await page.$eval('#e-esPatience', (e) => e.textContent)).toBe('patience = 0 is out of range: an integer ≥ 1, or empty for the default');

    // Chosen on the validation split: a trial's score is its best ValErr, the chosen one retrained for its k*, as the CLI does.
    await setField(page, 'f-validationSteps', '2');
    await setField(page, 'f-esPatience', '2');
    await setField(page, 'f-seed', '1-2');
    await page.select('#f-select', 'validation');
    await page.click('#btn-start');
    await waitForState(page, ['done'], 120_000);
    const grid = await runCli(['train', '--dataset', 'synthetic-small', '--seed', '1-2', '--outer', '12', '--inner', '3', '--early-stop', 'validation', '--validation-steps', '2',
      '--patience', '2', '--select', 'validation', '--backend', 'cpu', '--json']);
    expect(grid.code, grid.stderr).toBe(0);
    const selected = JSON.parse(grid.stdout) as { trainErr: number; testErr: number; earlyStop: { k: number }; selected: { trial: number } };
    const chosenRow = await page.$eval('#race-trials tbody tr.chosen-row', (r) => [...r.children].map((c) => c.textContent));
    expect([chosenRow[0], chosenRow[5], chosenRow[10]]).toEqual([`★${selected.selected.trial}`, String(selected.earlyStop.k), String(selected.earlyStop.k)]);
    await page.click('#btn-race-export-chosen');
    const chosen = scores((await nextDownload()).text, selected.selected.trial + 1);
    expect(chosen.trainErr).toBeCloseTo(selected.trainErr, 10);
    expect(chosen.testErr).toBeCloseTo(selected.testErr, 10);
    expect(errors).toEqual([]);
  }, 300_000);
});
