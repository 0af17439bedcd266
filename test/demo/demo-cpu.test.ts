// The demo page without WebGPU: the CPU backend runs in a Web Worker with a visible notice;
// bad input is reported at the field (a malformed CSV with the CLI's message, parameters out
// of range); a finished run exports its history and state, and continues after a reload from
// browser storage and from an exported state file.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointFromJson } from '../../src/alm/checkpoint.ts';
import { loadDatasetFromCsvText } from '../../src/problem/datasets.ts';
import { runCli } from '../helpers/cli.ts';
import {
  ARTIFACTS, buildAndServe, captureDownloads, hook, launchBrowser, openDemo, setField, waitForState,
  type ServedDemo, type WatchedPage,
} from './helpers.ts';

/** The message the CLI prints (after "alm-rnn: ") for a CSV text, or '' when it loads. */
function cliMessage(text: string, name: string): string {
  try {
    loadDatasetFromCsvText(text, name, { standardize: 'whole' });
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('demo page without WebGPU', () => {
  let served: ServedDemo;
  let browser: Browser;
  let demo: WatchedPage;
  const files = mkdtempSync(join(tmpdir(), 'alm-rnn-demo-files-'));

  beforeAll(async () => {
    served = await buildAndServe();
    browser = await launchBrowser({ webgpu: false });
    demo = await openDemo(browser, served.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('loads with no console errors and says that it falls back to the CPU backend', async () => {
    const { page, errors } = demo;
    expect(errors).toEqual([]);
    const notice = await page.$eval('#backend-notice', (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent ?? '' }));
    expect(notice.hidden).toBe(false);
    expect(notice.text).toMatch(/^WebGPU is not available: .*Runs use the CPU backend \(float64\) in a Web Worker/);
    expect(await page.$eval('#f-backend-cpu', (e) => (e as HTMLInputElement).checked)).toBe(true);
    expect(await page.$eval('#f-backend-webgpu', (e) => (e as HTMLInputElement).disabled)).toBe(true);
  });

  it('shows a malformed CSV file\'s error next to the file input, with the CLI\'s message', async () => {
    const { page } = demo;
    await page.select('#f-dataset', 'csv');
    expect(await page.$eval('#csv-row', (e) => (e as HTMLElement).hidden)).toBe(false);
    const bad = 'date,x1,x2,y\n2020-01,1,2,3\n2020-02,4,oops,6\n2020-03,7,8,9\n';
    const badPath = join(files, 'bad.csv');
    writeFileSync(badPath, bad);
    const input = (await page.$('#f-csv')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(badPath);
    await page.waitForFunction(() => !(document.getElementById('csv-error') as HTMLElement).hidden, { timeout: 10_000 });
    const shown = await page.$eval('#csv-error', (e) => e.textContent);
    const expected = cliMessage(bad, 'bad.csv');
    expect(expected).toMatch(/^bad\.csv line 3.*"oops" is not a number/);
    expect(shown).toBe(expected);
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(true);

    // A good file clears the message and shows the series.
    const goodPath = join(files, 'good.csv');
    writeFileSync(goodPath, 'date,x1,x2,y\n' + Array.from({ length: 30 }, (_, t) => `d${t},${Math.sin(t)},${Math.cos(t)},${Math.sin(t + 1)}`).join('\n') + '\n');
    await input.uploadFile(goodPath);
    await page.waitForFunction(() => (document.getElementById('csv-error') as HTMLElement).hidden, { timeout: 10_000 });
    expect(await page.$eval('#data-summary', (e) => e.textContent)).toMatch(/^T = 30 steps \(train 27, test 3\), n = 2 inputs, m = 1 target \(y\)/);
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(false);

    // It trains, and its exported state carries the file, so it can be continued elsewhere.
    const nextDownload = await captureDownloads(page);
    await setField(page, 'f-hidden', '3');
    await setField(page, 'f-outer', '2');
    await setField(page, 'f-inner', '3');
    await page.click('#btn-start');
    expect(await waitForState(page, ['done'], 30_000)).toBe('done');
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(/^finished: 2 outer iterations, 6 sweeps/);
    await page.click('#btn-export-state');
    const state = await nextDownload();
    expect(state.name).toBe('alm-rnn-state-good-k2.json');
    const parsed = JSON.parse(state.text) as { csv: { name: string; text: string } };
    expect(parsed.csv.name).toBe('good.csv');
    expect(checkpointFromJson(state.text).config).toMatchObject({ dataset: 'good.csv', hidden: 3 });
    // η2 = 1/1.2 reads 0.833333 in its field, and the run used it exactly.
    expect(await page.$eval('#f-eta2', (e) => (e as HTMLInputElement).value)).toBe('0.833333');
    expect(checkpointFromJson(state.text).config.params.eta2).toBe(5 / 6);
    await page.select('#f-dataset', 'synthetic-large');
  });

  it('marks out-of-range settings at their fields and blocks Start until they are fixed', async () => {
    const { page } = demo;
    await setField(page, 'f-eta1', '1.5');
    await setField(page, 'f-hidden', 'ten');
    const marked = await page.$$eval('input.invalid', (es) => es.map((e) => e.id).sort());
    expect(marked).toEqual(['f-eta1', 'f-hidden']);
    expect(await page.$eval('#e-eta1', (e) => e.textContent)).toBe('eta1 = 1.5 is out of range: a number in the open interval (0, 1)');
    expect(await page.$eval('#e-hidden', (e) => e.textContent)).toBe('hidden must be a number, got "ten"');
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    await page.click('#btn-reset');
    await setField(page, 'f-hidden', '100');
    expect(await page.$$eval('input.invalid', (es) => es.length)).toBe(0);
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    // The paper's preset for synthetic-large: 100 × 500 and its η's.
    await page.click('#btn-paper');
    expect(await page.$eval('#f-outer', (e) => (e as HTMLInputElement).value)).toBe('100');
    expect(await page.$eval('#f-inner', (e) => (e as HTMLInputElement).value)).toBe('500');
    expect(await page.$eval('#f-eta3', (e) => (e as HTMLInputElement).value)).toBe('1.015');
    await page.click('#btn-reset');
  });

  it('Reset puts every field back, not only the ALM parameters', async () => {
    const { page } = demo;
    await setField(page, 'f-seed', '7');
    await setField(page, 'f-trainFraction', '0.8');
    await setField(page, 'f-tau', '3');
    for (const [id, value] of [['f-init', 'he'], ['f-standardize', 'train'], ['f-testHidden', 'reset'], ['f-activation', 'elu'], ['f-innerStop', 'certificate']]) {
      await page.select(`#${id}`, value);
    }
    await page.click('#btn-reset');
    const values = await page.$$eval('#f-seed, #f-trainFraction, #f-tau, #f-init, #f-standardize, #f-testHidden, #f-activation, #f-innerStop, #f-hidden, #f-dataset',
      (es) => Object.fromEntries(es.map((e) => [e.id, (e as HTMLInputElement).value])));
    expect(values).toEqual({
      'f-seed': '1', 'f-trainFraction': '0.9', 'f-tau': '500', 'f-init': 'normal-1e-1', 'f-standardize': 'whole',
      'f-testHidden': 'carry', 'f-activation': 'relu', 'f-innerStop': 'cap', 'f-hidden': '100', 'f-dataset': 'synthetic-large',
    });
  });

  it('catches r too large with the memory estimate, at the field', async () => {
    const { page } = demo;
    await setField(page, 'f-hidden', '100000');
    expect(await page.$eval('#e-hidden', (e) => e.textContent)).toBe('hidden = 100000 is out of range: an integer from 1 to 10000');
    // Within the cap, one trial fits (about 10 GB); sixteen of them (about 155 GB) fit no
    // browser's memory (navigator.deviceMemory), and the estimate says so at the field.
    await setField(page, 'f-hidden', '10000');
    await setField(page, 'f-seed', '1-16');
    expect(await page.$eval('#e-hidden', (e) => e.textContent)).toMatch(
      /^r=10000 hidden units with n=80 inputs, m=30 targets and T=450 training steps need about \S+ GB for 16 trials \(race fewer trials at once\), more than the \S+ GB of memory here: lower --hidden/);
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    await setField(page, 'f-seed', '1');
    await setField(page, 'f-hidden', '100');
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
  });

  it('a run whose linear algebra fails shows the CLI\'s advice', async () => {
    const { page } = demo;
    await page.select('#f-dataset', 'synthetic-small');
    await setField(page, 'f-tau', '1e-300');
    await setField(page, 'f-outer', '2');
    await page.click('#btn-start');
    await page.waitForFunction(() => (window as unknown as { almDemo: { state(): string } }).almDemo.state() === 'error', { timeout: 30_000, polling: 100 });
    expect(await page.$eval('#run-error', (e) => e.textContent)).toMatch(
      /^the w-block matrix γPPᵀ \+ 2Λ_w is not positive definite \(pivot \d+ of 10 is \S+\)\. The regularisation is too weak for this data: raise τ \(--tau/);
    await page.select('#f-dataset', 'synthetic-large');
    await page.click('#btn-reset');
  });

  it('runs synthetic-large on the CPU worker, exports history and state, and continues after a reload', async () => {
    const { page, errors } = demo;
    let nextDownload = await captureDownloads(page);
    await setField(page, 'f-outer', '8');
    await setField(page, 'f-inner', '10');
    await page.click('#btn-start');
    await waitForState(page, ['running'], 30_000);
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(/running on cpu/);
    expect(await waitForState(page, ['done'], 120_000)).toBe('done');
    expect(await hook(page, 'counts')).toEqual({ feasVio: 8, lagrangian: 8, errors: 8, errorsTime: 8, gamma: 8, fit: 50 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-cpu-finished.png') });

    await page.click('#btn-export-history-csv');
    const csv = (await nextDownload()).text.trim().split('\n');
    expect(csv[0]).toBe('k,gamma,gammaNext,eps,feasVio,c1,c2,xiNorm,zetaNorm,lagrangian,sweeps,warm,certificate,atFloor,trainErr,testErr,seconds');
    expect(csv.slice(1).map((row) => Number(row.split(',')[0]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(csv.slice(1).every((row) => row.split(',')[10] === '10')).toBe(true);

    // Reload: the run is offered from browser storage and continues at k = 9.
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { almDemo?: { ready: boolean } }).almDemo?.ready === true, { timeout: 30_000 });
    expect(await page.$eval('#saved-run', (e) => (e as HTMLElement).hidden)).toBe(false);
    expect(await page.$eval('#saved-run-text', (e) => e.textContent)).toMatch(/^Saved run: synthetic-large, 8 of 8 outer iterations \(80 sweeps\)/);
    // The reload shows the run as it was: its settings, its curves and fit, its backend.
    const restored = await page.$$eval('#f-dataset, #f-outer, #f-inner, #f-hidden', (es) => Object.fromEntries(es.map((e) => [e.id, (e as HTMLInputElement).value])));
    expect(restored).toEqual({ 'f-dataset': 'synthetic-large', 'f-outer': '8', 'f-inner': '10', 'f-hidden': '100' });
    expect(await hook(page, 'counts')).toEqual({ feasVio: 8, lagrangian: 8, errors: 8, errorsTime: 8, gamma: 8, fit: 50 });
    expect(await page.$eval('#f-backend-cpu', (e) => (e as HTMLInputElement).checked)).toBe(true);
    expect(await page.$eval('#progress-text', (e) => e.textContent)).toMatch(/^outer 8\/8 · sweeps 80\/80 · .* elapsed \(saved run\)$/);
    await setField(page, 'resume-outer', '9');
    await page.click('#btn-continue');
    expect(await waitForState(page, ['done'], 60_000)).toBe('done');
    expect(await hook(page, 'counts')).toMatchObject({ feasVio: 9, errors: 9 });
    expect(await page.$eval('#progress-text', (e) => e.textContent)).toMatch(/^outer 9\/9 · sweeps 90\/90/);

    // Export the state, forget the stored one, import the file and continue to k = 10.
    nextDownload = await captureDownloads(page);
    await page.click('#btn-export-state');
    const state = await nextDownload();
    expect(state.name).toBe('alm-rnn-state-synthetic-large-k9.json');
    const cp = checkpointFromJson(state.text, state.name);
    expect(cp.loop.k).toBe(9);
    expect(cp.loop.history.map((h) => h.k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await page.click('#btn-discard');
    expect(await page.$eval('#saved-run', (e) => (e as HTMLElement).hidden)).toBe(true);
    const statePath = join(files, state.name);
    writeFileSync(statePath, state.text);
    const importer = (await page.$('#f-import-state')) as ElementHandle<HTMLInputElement>;
    await importer.uploadFile(statePath);
    await page.waitForFunction(() => !(document.getElementById('saved-run') as HTMLElement).hidden, { timeout: 10_000 });
    expect(await page.$eval('#saved-run-text', (e) => e.textContent)).toMatch(/^State from alm-rnn-state-synthetic-large-k9\.json: synthetic-large, 9 of 9/);
    await setField(page, 'resume-outer', '10');
    await page.click('#btn-continue');
    expect(await waitForState(page, ['done'], 60_000)).toBe('done');
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(/^finished: 10 outer iterations, 100 sweeps/);
    expect(await hook(page, 'counts')).toMatchObject({ feasVio: 10, errors: 10, fit: 50 });
    expect(errors).toEqual([]);

    // The CLI continues the same exported state to the same 10th iterate.
    await page.click('#btn-export-history-json');
    const pageHistory = JSON.parse((await nextDownload()).text) as { history: { k: number; trainErr: number; testErr: number }[] };
    const cli = await runCli(['train', '--resume', statePath, '--outer', '10', '--backend', 'cpu', '--json']);
    expect(cli.stderr).toMatch(/resuming after outer iteration 9/);
    expect(cli.code).toBe(0);
    const summary = JSON.parse(cli.stdout) as { trainErr: number; testErr: number; outerIterations: number };
    expect(summary.outerIterations).toBe(10);
    const last = pageHistory.history[9];
    expect(last.k).toBe(10);
    expect(summary.trainErr).toBeCloseTo(last.trainErr, 9);
    expect(summary.testErr).toBeCloseTo(last.testErr, 9);
  }, 170_000);

  it('a link that repeats a parameter is refused for it and does not autostart', async () => {
    const { page, errors } = await openDemo(browser, `${served.url}?dataset=synthetic-small&seed=1&seed=2&outer=2&autostart=1`);
    expect(await page.$eval('#run-notice', (e) => e.textContent)).toMatch(
      /URL parameter seed is given 2 times \(1, 2\): give it once \(ignored\)\nautostart=1: the run was not started, as the link repeats a parameter/);
    expect(await hook(page, 'state')).toBe('idle');
    expect(await page.$eval('#f-outer', (e) => (e as HTMLInputElement).value)).toBe('2');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('choosing a CSV file keeps the link\'s settings; γ max is checked against the γ0 shown; long names do not cover the fit plot', async () => {
    const { page, errors } = await openDemo(browser, `${served.url}?dataset=synthetic-small&hidden=8&outer=20&inner=30&tau=2`);
    await page.select('#f-dataset', 'csv');
    const name = 'a_target_name_that_goes_on_and_on_far_longer_than_any_field_is_wide';
    const path = join(files, 'long-name.csv');
    writeFileSync(path, `date,x,${name}\n` + Array.from({ length: 30 }, (_, t) => `d${t},${Math.sin(t)},${Math.cos(t)}`).join('\n') + '\n');
    await ((await page.$('#f-csv')) as ElementHandle<HTMLInputElement>).uploadFile(path);
    await page.waitForFunction(() => /^T = 30 steps/.test(document.getElementById('data-summary')!.textContent ?? ''), { timeout: 10_000 });
    const fields = await page.$$eval('#f-hidden, #f-outer, #f-inner, #f-tau', (es) => es.map((e) => (e as HTMLInputElement).value));
    expect(fields).toEqual(['8', '20', '30', '2']);

    await setField(page, 'f-gamma0', '3');
    await setField(page, 'f-gammaMax', '2');
    expect(await page.$eval('#e-gammaMax', (e) => e.textContent)).toBe('gammaMax = 2 is out of range: a number ≥ gamma0 (3), or Infinity');
    await setField(page, 'f-gammaMax', 'Infinity');

    await setField(page, 'f-outer', '2');
    await setField(page, 'f-inner', '2');
    await page.click('#btn-start');
    expect(await waitForState(page, ['done'], 30_000)).toBe('done');
    const option = await page.$eval('#fit-output option', (e) => ({ text: e.textContent ?? '', title: (e as HTMLOptionElement).title }));
    expect(option.title).toBe(name);
    expect(option.text.length).toBeLessThan(40);
    // The output chooser sits above the fit plot's title, not over it.
    const [chooser, title] = await page.$$eval('.fit-select, #chart-fit .u-title', (es) => es.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
    expect(chooser.bottom).toBeLessThanOrEqual(title.top + 0.5);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
