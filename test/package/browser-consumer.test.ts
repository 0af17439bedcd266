// The package as a browser app's dependency: examples/browser (a plain-JS Vite app that imports
// only 'alm-rnn') is copied into a fresh project with the packed tarball installed, then
//   a. `vite build` bundles it without Vite externalising any Node module, and the bundle holds
//      no node: import, no worker_threads and none of alm-rnn/datasets' CSV data;
//   b. that build, served by `vite preview`, runs in headless Chromium: in-page CPU, a pool of
//      two module Web Workers and WebGPU (SwiftShader) all train; the pool's seed-1 trial equals
//      the in-page run bit for bit; WebGPU (float32) is within 1e-2 relative of the CPU (float64)
//      on TrainErr and TestErr (measured: ~1e-6); the model survives a JSON round trip exactly;
//   c. the Vite dev server (dependency optimiser on) serves the same app with the same results.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { build, createLogger, createServer, preview, type Logger, type PreviewServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, launchBrowser, watchPage } from '../demo/helpers.ts';
import { createConsumer, packRepository, REPO, type Packed } from '../helpers/package.ts';

const EXAMPLE = join(REPO, 'examples/browser');
/** WebGPU computes in float32, the CPU in float64: relative tolerance on TrainErr and TestErr. */
const GPU_REL_TOL = 1e-2;

interface Summary {
  trainErr: number;
  testErr: number;
  feasVio: number;
  outerIterations: number;
  seconds: number;
  backend: string;
  firstPredictions: number[];
}
interface AppResult {
  model: string;
  inPage: Summary;
  pool: { backend: string; trials: (Summary & { seed: number })[] };
  webgpu: Summary | { error: string } | { skipped: true };
  predictions: { first: number[]; last: number; count: number };
  roundTrip: { jsonBytes: number; identical: boolean };
}

let packed: Packed | undefined;
let consumer: string;
let browser: Browser | undefined;
let previewServer: PreviewServer | undefined;
let devServer: ViteDevServer | undefined;

/** The example's files (not recursive: it is flat), as createConsumer's `files`. */
function exampleFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(EXAMPLE)) {
    if (statSync(join(EXAMPLE, name)).isFile()) files[name] = readFileSync(join(EXAMPLE, name), 'utf8');
  }
  return files;
}

/** A logger that records warnings and errors (and passes them on). */
function recordingLogger(into: string[]): Logger {
  const base = createLogger('warn');
  return {
    ...base,
    warn: (msg, opts) => { into.push(msg); base.warn(msg, opts); },
    warnOnce: (msg, opts) => { into.push(msg); base.warnOnce(msg, opts); },
    error: (msg, opts) => { into.push(msg); base.error(msg, opts); },
  };
}

/** Every .js file under dir. */
function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? jsFiles(path) : name.endsWith('.js') ? [path] : [];
  });
}

/** Opens the app, waits for #result (or #error), returns the parsed result and the console errors. */
async function runApp(url: string): Promise<{ result: AppResult; errors: string[] }> {
  const { page, errors, log } = await watchPage(browser!, url);
  try {
    await page.waitForFunction(
      () => (document.getElementById('result')?.textContent ?? '') !== '' || (document.getElementById('error')?.textContent ?? '') !== '',
      { timeout: 140_000, polling: 500 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\npage log:\n${log.join('\n')}`);
    });
    const [result, error] = await page.evaluate(() => [document.getElementById('result')!.textContent, document.getElementById('error')!.textContent]);
    expect(error, `#error\npage log:\n${log.join('\n')}`).toBe('');
    return { result: JSON.parse(result!) as AppResult, errors };
  } finally {
    await page.close();
  }
}

const rel = (a: number, e: number) => Math.abs(a - e) / Math.abs(e);

/** What every served copy of the app must show (and, unless `webgpu` is false, its WebGPU run). */
function checkResult(r: AppResult, webgpu = true): void {
  for (const s of [r.inPage, ...r.pool.trials]) {
    for (const v of [s.trainErr, s.testErr, s.feasVio, ...s.firstPredictions]) expect(Number.isFinite(v), `${s.backend}: ${v}`).toBe(true);
    expect(s.outerIterations).toBe(6);
  }
  expect(r.inPage.backend).toMatch(/in the calling thread/);
  expect(r.pool.backend).toMatch(/2 workers/);
  expect(r.pool.trials.map((t) => t.seed)).toEqual([1, 2]);
  // The pool's seed-1 trial is the in-page run again: same float64 arithmetic, bit for bit
  // (JSON.stringify round-trips doubles exactly).
  const { seconds: _a, backend: _b, ...inPage } = r.inPage;
  const { seconds: _c, backend: _d, seed: _e, ...trial0 } = r.pool.trials[0];
  expect(trial0).toStrictEqual(inPage);
  expect(r.pool.trials[1].trainErr).not.toBe(r.inPage.trainErr);
  // WebGPU: float32 against float64.
  if (webgpu) {
    expect('error' in r.webgpu ? r.webgpu.error : '').toBe('');
    const gpu = r.webgpu as Summary;
    expect(gpu.backend).toMatch(/webgpu/i);
    expect(rel(gpu.trainErr, r.inPage.trainErr), 'WebGPU TrainErr').toBeLessThan(GPU_REL_TOL);
    expect(rel(gpu.testErr, r.inPage.testErr), 'WebGPU TestErr').toBeLessThan(GPU_REL_TOL);
  } else {
    expect(r.webgpu).toEqual({ skipped: true });
  }
  // Predictions, and the model after JSON.stringify → Model.fromJSON.
  expect(r.predictions.count).toBe(240);
  expect(r.predictions.first).toEqual(r.inPage.firstPredictions);
  expect(r.roundTrip.identical).toBe(true);
}

/** A run of the app in Chromium, started in beforeAll and awaited by its test. */
type AppRun = Promise<{ result: AppResult; errors: string[] }>;
let buildMessages: string[] = [];
let devMessages: string[] = [];
let previewRun: AppRun;
let devRun: AppRun;

beforeAll(async () => {
  packed = packRepository();
  consumer = createConsumer(packed, 'browser-consumer', { link: ['vite'], files: exampleFiles() });
  await build({ root: consumer, logLevel: 'warn', customLogger: recordingLogger(buildMessages) });
  const previewPort = await freePort();
  previewServer = await preview({ root: consumer, logLevel: 'warn', preview: { port: previewPort, strictPort: true, host: '127.0.0.1', open: false } });
  const devPort = await freePort();
  devServer = await createServer({ root: consumer, logLevel: 'warn', customLogger: recordingLogger(devMessages), server: { port: devPort, strictPort: true, host: '127.0.0.1' } });
  await devServer.listen();
  browser = await launchBrowser({ webgpu: true });
  // Both copies run at once, in two tabs: on SwiftShader most of each run is the WebGPU
  // pipelines' compilation (about a minute), which the two overlap.
  previewRun = runApp(`http://127.0.0.1:${previewPort}/`);
  // The dev server's question is module and worker resolution, not WebGPU: its copy skips the
  // WebGPU run, whose pipelines SwiftShader compiles for a minute of CPU (the build's copy runs it).
  devRun = runApp(`http://127.0.0.1:${devPort}/?webgpu=off`);
  previewRun.catch(() => {});
  devRun.catch(() => {});
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await previewServer?.close();
  await devServer?.close();
  packed?.remove();
});

describe('examples/browser against the packed package', () => {
  it('builds with vite: nothing externalised for the browser, no node: imports, no data sets', () => {
    expect(buildMessages.filter((m) => /externalized for browser compatibility/.test(m))).toEqual([]);
    expect(buildMessages.filter((m) => /node:|worker_threads/.test(m))).toEqual([]);
    const files = jsFiles(join(consumer, 'dist'));
    expect(files.length).toBeGreaterThanOrEqual(2); // the app and the pool's worker
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // Imports of Node modules (a guarded process.getBuiltinModule('node:os') string may remain).
      expect(text, file).not.toMatch(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["'`]node:/);
      expect(text, file).not.toContain('worker_threads');
      expect(text, file).not.toContain('RV_SP500');
    }
  });

  it('runs the build (vite preview) in Chromium: in the page, on 2 Web Workers and on WebGPU', async () => {
    const { result, errors } = await previewRun;
    checkResult(result);
    expect(errors).toEqual([]);
    const gpu = result.webgpu as Summary;
    console.log(`[browser-consumer] WebGPU vs CPU: TrainErr rel ${rel(gpu.trainErr, result.inPage.trainErr).toExponential(2)}, TestErr rel ${rel(gpu.testErr, result.inPage.testErr).toExponential(2)}; seconds in page ${result.inPage.seconds.toFixed(2)}, pool ${result.pool.trials[0].seconds.toFixed(2)}, WebGPU ${gpu.seconds.toFixed(2)}`);
  }, 150_000);

  it('runs on the Vite dev server (dependency optimiser) with the same CPU results', async () => {
    const [{ result, errors }, built] = await Promise.all([devRun, previewRun]);
    checkResult(result, false);
    expect(errors).toEqual([]);
    expect(devMessages.filter((m) => /externalized for browser compatibility|node:/.test(m))).toEqual([]);
    // The CPU is deterministic: the same numbers as the built app's.
    const strip = ({ seconds: _s, ...rest }: Summary) => rest;
    expect(strip(result.inPage)).toStrictEqual(strip(built.result.inPage));
    expect(result.pool.trials.map(strip)).toStrictEqual(built.result.pool.trials.map(strip));
  }, 150_000);
});
