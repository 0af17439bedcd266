// The WebGPU backend in headless Chromium: a page served from http://localhost (Vite) runs a
// small ALM problem (3 outer × 5 inner) on the GPU backend and on the float64 CPU backend in the
// same page; the figures must agree. Fails, rather than skips, when no adapter is available.
// Tolerances: TrainErr/TestErr/FeasVio 1e-3 relative, weights 2e-3 of max|w|.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ParityReport } from './parity-page.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PAGE_DIR = fileURLToPath(new URL('.', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that give headless Chromium a WebGPU adapter without a GPU (SwiftShader through Vulkan). */
export const CHROMIUM_WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-gpu-sandbox',
  '--use-angle=swiftshader',
  '--enable-features=Vulkan',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let server: ViteDevServer;
let browser: Browser;
let url: string;

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`).toBe(true);
  server = await createServer({
    configFile: false,
    root: PAGE_DIR,
    logLevel: 'error',
    server: { host: 'localhost', port: 0, strictPort: false, fs: { allow: [ROOT] } },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  const address = server.httpServer!.address() as AddressInfo;
  url = `http://localhost:${address.port}/index.html`;
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_WEBGPU_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('runs the GPU backend in the page and matches the CPU backend there', async () => {
  const page = await browser.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${(e as Error).message}`));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', { timeout: 60_000 })
    .catch((e: Error) => {
      throw new Error(`${e.message}\npage log:\n${logs.join('\n')}`);
    });
  const report = (await page.evaluate(async () => {
    const w = window as unknown as { almParity: () => Promise<unknown> };
    return w.almParity();
  })) as ParityReport;
  expect(report.adapter.architecture.length + report.adapter.vendor.length + report.adapter.description.length).toBeGreaterThan(0);
  const rel = (a: number, e: number) => Math.abs(a - e) / Math.abs(e);
  expect(rel(report.gpu.trainErr, report.cpu.trainErr), 'TrainErr').toBeLessThan(1e-3);
  expect(rel(report.gpu.testErr, report.cpu.testErr), 'TestErr').toBeLessThan(1e-3);
  report.cpu.feasVio.forEach((v, i) => expect(rel(report.gpu.feasVio[i], v), `FeasVio k=${i + 1}`).toBeLessThan(1e-3));
  for (const [k, d] of Object.entries(report.weights)) expect(d, `weights ${k}`).toBeLessThan(2e-3);
  expect(report.dispatchesPerSweep).toBeLessThanOrEqual(30);
  expect(report.sweepReadbacks).toBe(0);
  expect(report.cpuKernels, 'the CPU reference runs the WebAssembly SIMD kernels in Chrome').toBe('wasm');
  await page.close();
}, 300_000);
