// The demo page on WebGPU: built with Vite, served on localhost, driven in headless Chromium
// (SwiftShader without a GPU). A short synthetic-large run starts, is paused and resumed,
// finishes with points in every plot, and exports a model file that reproduces its errors;
// a synthetic-small run on WebGPU is stopped half-way. SwiftShader needs several seconds per
// synthetic-large sweep (more on a busy machine), so that run is four sweeps.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/problem/datasets.ts';
import { evaluate } from '../../src/problem/model.ts';
import { modelFromJson } from '../../src/problem/model-file.ts';
import {
  ARTIFACTS, buildAndServe, captureDownloads, hook, launchBrowser, openDemo, setField, waitForState,
  type ServedDemo, type WatchedPage,
} from './helpers.ts';

describe('demo page on WebGPU', () => {
  let served: ServedDemo;
  let browser: Browser;
  let demo: WatchedPage;

  beforeAll(async () => {
    served = await buildAndServe();
    browser = await launchBrowser({ webgpu: true });
    demo = await openDemo(browser, served.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it('loads with no console errors, names the software adapter, and preselects the CPU backend with the notice next to Start', async () => {
    const { page, errors } = demo;
    expect(errors).toEqual([]);
    const adapter = await page.$eval('#adapter', (e) => e.textContent ?? '');
    expect(adapter).toMatch(/^WebGPU adapter: .*swiftshader/i);
    // A software adapter is named as such, and the CPU backend, far faster there, is chosen.
    expect(await page.$eval('#f-backend-cpu', (e) => (e as HTMLInputElement).checked)).toBe(true);
    const notice = await page.$eval('#backend-notice', (e) => ({ hidden: (e as HTMLElement).hidden, text: e.textContent ?? '' }));
    expect(notice.hidden).toBe(false);
    expect(notice.text).toMatch(/software renderer \(SwiftShader\).* the CPU backend, much faster, is selected/);
    const startNotice = () => page.$eval('#start-notice', (e) => ((e as HTMLElement).hidden ? null : e.textContent));
    expect(await startNotice()).toMatch(/^Runs on the CPU backend \(float64\): the WebGPU adapter here is a software renderer/);
    await page.click('#f-backend-webgpu');
    expect(await startNotice()).toMatch(/^Runs on WebGPU on a software renderer \(SwiftShader\): expect seconds per sweep/);
    expect(await page.$eval('#f-dataset', (e) => (e as HTMLSelectElement).value)).toBe('synthetic-large');
    expect(await page.$eval('#data-summary', (e) => e.textContent)).toMatch(/T = 500 steps \(train 450, test 50\), n = 80 inputs, m = 30 targets/);
  });

  it('runs synthetic-large on WebGPU: pause holds it, resume continues, the plots fill, the model exports', async () => {
    const { page, errors } = demo;
    const nextDownload = await captureDownloads(page);
    await page.click('#f-backend-webgpu');
    await setField(page, 'f-outer', '2');
    await setField(page, 'f-inner', '2');
    await setField(page, 'f-checkEvery', '1');
    await page.click('#btn-start');
    await waitForState(page, ['running'], 60_000);
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(/running on webgpu \(float32\): .*swiftshader/i);

    // Pause after the first sweep: the sweep count must hold still until resume.
    await page.waitForFunction(() => (window as unknown as { almDemo: { sweeps(): number } }).almDemo.sweeps() >= 1, { timeout: 120_000, polling: 100 });
    await page.click('#btn-pause');
    await waitForState(page, ['paused'], 60_000);
    const held = await hook(page, 'sweeps');
    expect(await page.$eval('#progress-text', (e) => e.textContent)).toMatch(/^outer 1\/2 · sweeps [12]\/4 · .+ elapsed · about .+ left$/);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await hook(page, 'sweeps')).toBe(held);
    expect(await page.$eval('#btn-resume', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    expect(await page.$eval('#btn-pause', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    await page.click('#btn-resume');
    await waitForState(page, ['running'], 10_000);

    expect(await waitForState(page, ['done'], 150_000)).toBe('done');
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(/^finished: 2 outer iterations, 4 sweeps/);
    const counts = await hook(page, 'counts');
    expect(counts).toEqual({ feasVio: 2, lagrangian: 2, errors: 2, errorsTime: 2, gamma: 2, fit: 50 });
    expect(await page.$eval('#progress', (e) => (e as HTMLProgressElement).value)).toBe(1);
    expect(await page.$eval('#progress-text', (e) => e.textContent)).toMatch(/^outer 2\/2 · sweeps 4\/4 · /);
    // uPlot drew into every chart.
    expect(await page.$$eval('.charts canvas', (cs) => cs.length)).toBe(6);

    // The model file is the CLI's format and reproduces the run's errors.
    await page.click('#btn-export-history-json');
    const history = JSON.parse((await nextDownload()).text) as { history: { k: number; trainErr: number; testErr: number }[]; backend: { kind: string } };
    expect(history.backend.kind).toBe('webgpu');
    expect(history.history.map((h) => h.k)).toEqual([1, 2]);
    await page.click('#btn-export-model');
    const file = await nextDownload();
    expect(file.name).toBe('alm-rnn-model-synthetic-large.json');
    const model = modelFromJson(JSON.parse(file.text));
    expect([model.weights.r, model.weights.n, model.weights.m]).toEqual([100, 80, 30]);
    expect(model.activation).toEqual({ kind: 'relu' });
    const loaded = loadDataset('synthetic-large', { seed: 1, standardize: 'whole' });
    const errs = evaluate(model.weights, { name: 'synthetic-large', series: loaded.series, T1: loaded.T1, r: 100, activation: model.activation });
    const last = history.history[1];
    expect(errs.trainErr).toBeCloseTo(last.trainErr, 9);
    expect(errs.testErr).toBeCloseTo(last.testErr, 9);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'demo-webgpu-finished.png') });
    expect(errors).toEqual([]);
  }, 240_000);

  it('after a reload shows the WebGPU run on its own backend, and a continuation on the CPU says it switches to float64', async () => {
    const { page, errors } = demo;
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { almDemo?: { ready: boolean } }).almDemo?.ready === true, { timeout: 30_000 });
    // Restored: its backend (although a software adapter preselects the CPU), its settings, its curves.
    expect(await page.$eval('#f-backend-webgpu', (e) => (e as HTMLInputElement).checked)).toBe(true);
    const restored = await page.$$eval('#f-outer, #f-inner, #f-checkEvery', (es) => Object.fromEntries(es.map((e) => [e.id, (e as HTMLInputElement).value])));
    expect(restored).toEqual({ 'f-outer': '2', 'f-inner': '2', 'f-checkEvery': '1' });
    expect(await hook(page, 'counts')).toMatchObject({ feasVio: 2, errors: 2, fit: 50 });
    await page.click('#f-backend-cpu');
    await setField(page, 'resume-outer', '3');
    await page.click('#btn-continue');
    expect(await page.$eval('#run-notice', (e) => e.textContent)).toBe(
      'This run was made on WebGPU (float32) and continues on the CPU backend (float64): from here on it computes in float64, '
      + 'so it will not match an unbroken run on WebGPU (float32).');
    expect(await waitForState(page, ['done'], 60_000)).toBe('done');
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(/^finished: 3 outer iterations, 6 sweeps/);
    expect(errors).toEqual([]);
  }, 120_000);

  it('stops a WebGPU run after the batch in flight', async () => {
    // synthetic-small: long enough a run to stop in the middle, without minutes of SwiftShader sweeps.
    const { page, errors } = demo;
    await page.click('#f-backend-webgpu');
    await page.select('#f-dataset', 'synthetic-small');
    await setField(page, 'f-outer', '50');
    await setField(page, 'f-inner', '200');
    await setField(page, 'f-checkEvery', '1');
    await page.click('#btn-start');
    await waitForState(page, ['running'], 60_000);
    expect(await page.$eval('#run-status', (e) => e.textContent)).toMatch(/running on webgpu/);
    // The first sweeps wait for SwiftShader to compile the shaders: about a minute on a busy 2-core machine.
    await page.waitForFunction(() => (window as unknown as { almDemo: { sweeps(): number } }).almDemo.sweeps() >= 3, { timeout: 120_000, polling: 50 });
    await page.click('#btn-stop');
    expect(await hook(page, 'state')).toBe('stopping');
    expect(await waitForState(page, ['stopped'], 60_000)).toBe('stopped');
    const status = await page.$eval('#run-status', (e) => e.textContent ?? '');
    expect(status).toMatch(/^stopped: \d+ outer iterations?, \d+ sweeps? in /);
    const iterations = await hook(page, 'iterations');
    expect(iterations).toBeLessThan(50);
    expect(Number(/(\d+) sweeps? in/.exec(status)![1])).toBeLessThan(50 * 200);
    expect(await page.$eval('#btn-start', (e) => (e as HTMLButtonElement).disabled)).toBe(false);
    expect(await page.$eval('#btn-stop', (e) => (e as HTMLButtonElement).disabled)).toBe(true);
    expect(errors).toEqual([]);
  }, 200_000);
});
