// The demo's benchmark page (demo/bench.html) in headless Chromium: the shared harness runs in
// the page's worker on the CPU backend and on WebGPU (SwiftShader here), and the page shows
// the tables and the plots and downloads the JSON. Checks shapes, not speeds.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../bench/harness/types.ts';
import { buildAndServe, type ServedDemo } from '../demo/helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-features=Vulkan', '--no-sandbox', '--disable-gpu-sandbox',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
];

let served: ServedDemo;
let browser: Browser;
let page: Page;
let report: BenchReport;
let errors: string[] = [];
const downloads = mkdtempSync(join(tmpdir(), 'alm-rnn-bench-dl-'));

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`).toBe(true);
  // The demo's build has both pages; the browser tests of a run share it.
  served = await buildAndServe();
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, protocolTimeout: 240_000 });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${(e as Error).message}`));
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
  const args = encodeURIComponent('--quick --sizes synthetic-small,T=32 --no-e2e');
  await page.goto(`${served.url}bench.html?args=${args}&run`, { waitUntil: 'load' });
  await page.waitForFunction(() => {
    const h = (window as unknown as { almBench?: { report: unknown; error: string | null } }).almBench;
    return Boolean(h && (h.report || h.error));
  }, { timeout: 150_000, polling: 500 });
  const error = await page.evaluate(() => (window as unknown as { almBench: { error: string | null } }).almBench.error);
  expect(error).toBeNull();
  report = (await page.evaluate(() => (window as unknown as { almBench: { report: unknown } }).almBench.report)) as BenchReport;
}, 200_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
  rmSync(downloads, { recursive: true, force: true });
});

describe('demo/bench.html', () => {
  it('runs the harness in the browser on the CPU and on WebGPU', () => {
    expect(report.profile).toBe('quick');
    expect(report.machine.userAgent).toMatch(/Chrome/);
    const ids = [...new Set(report.points.map((p) => p.id))];
    expect(ids).toEqual(['synthetic-small', 'T=32']);
    expect(report.points.filter((p) => p.backend === 'cpu').every((p) => p.status === 'ok')).toBe(true);
    // Chromium gives a SwiftShader adapter with these flags; its set-up may outrun the quick budget on a busy machine.
    expect(report.adapter, report.gpuUnavailable).not.toBeNull();
    expect(report.adapter!.runtime).toMatch(/^browser/);
    for (const p of report.points.filter((q) => q.backend === 'webgpu')) expect(p.status === 'ok' || /set-up/.test(p.note ?? ''), p.note).toBe(true);
    expect(errors).toEqual([]);
  });

  it('shows the table with ratio columns and the plot', async () => {
    const headers = await page.$$eval('#report th', (ths) => ths.map((t) => t.textContent));
    expect(headers).toContain('GPU/CPU (wall)');
    const rows = await page.$eval('#report table', (t) => t.querySelectorAll('tbody tr').length);
    expect(rows).toBe(2);
    const svg = await page.$eval('#plots', (e) => e.innerHTML);
    expect(svg).toContain('<svg');
    expect(svg).toContain('CPU (float64)');
    if (process.env.BENCH_PAGE_SCREENSHOT) await page.screenshot({ path: process.env.BENCH_PAGE_SCREENSHOT, fullPage: true });
  });

  it('downloads the JSON', async () => {
    await page.click('#download-json');
    const until = Date.now() + 15_000;
    let file: string | undefined;
    while (!file && Date.now() < until) {
      file = readdirSync(downloads).find((f) => f.endsWith('.json'));
      if (!file) await new Promise((r) => setTimeout(r, 100));
    }
    expect(file).toBe('alm-rnn-bench-quick.json');
    const json = JSON.parse(readFileSync(join(downloads, file!), 'utf8')) as BenchReport;
    expect(json.format).toBe('alm-rnn/bench@1');
    expect(json.points.length).toBe(report.points.length);
  });

  it('refuses an unreadable size filter before starting, and keeps the settings fixed during a run', async () => {
    await page.select('#f-profile', 'quick');
    await page.$eval('#f-sizes', (e) => { (e as HTMLInputElement).value = 'T<=abc'; });
    await page.click('#run');
    const refused = await page.evaluate(() => ({
      error: document.getElementById('args-error')!.textContent,
      hidden: (document.getElementById('args-error') as HTMLElement).hidden,
      running: (window as unknown as { almBench: { running: boolean } }).almBench.running,
    }));
    expect(refused).toEqual({ error: expect.stringMatching(/^--sizes: "T<=abc" is not a size group/), hidden: false, running: false });

    await page.$eval('#f-sizes', (e) => { (e as HTMLInputElement).value = 'synthetic-small'; });
    await page.click('#run');
    const during = await page.evaluate(() => ({
      profile: (document.getElementById('f-profile') as HTMLSelectElement).disabled,
      sizes: (document.getElementById('f-sizes') as HTMLInputElement).disabled,
      errorHidden: (document.getElementById('args-error') as HTMLElement).hidden,
    }));
    expect(during).toEqual({ profile: true, sizes: true, errorHidden: true });
    await page.click('#stop');
    expect(await page.$eval('#f-profile', (e) => (e as HTMLSelectElement).disabled)).toBe(false);
  });
});
