// Helpers of the demo page's browser tests: build the page once per test run with Vite, serve the static
// build on a free localhost port with `vite preview`, drive Debian's Chromium with
// puppeteer-core, collect console errors and downloads.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { build, preview, type PreviewServer } from 'vite';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = join(REPO, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';


/** Flags that give headless Chromium a WebGPU adapter (SwiftShader on a machine without a GPU). */
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-features=Vulkan'];
const COMMON_FLAGS = [
  '--no-sandbox', '--disable-gpu-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--window-size=1500,1300',
];

/** A localhost port free at the time of asking. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createNetServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** A built and served copy of the demo page. */
export interface ServedDemo {
  url: string;
  close(): Promise<void>;
}

const DEMO_CONFIG = join(REPO, 'demo/vite.config.ts');

/**
 * The demo's Vite build (both pages, index.html and bench.html) in a folder of its own: built once
 * per test run into the folder the global setup names (ALM_RNN_DEMO_BUILD_DIR), which the browser
 * test files then share, since the sources do not change during a run; built afresh into a
 * temporary folder without one. `owned` says whether the caller removes it.
 */
async function demoBuild(): Promise<{ outDir: string; owned: boolean }> {
  const shared = process.env.ALM_RNN_DEMO_BUILD_DIR;
  if (shared === undefined) {
    const outDir = mkdtempSync(join(tmpdir(), 'alm-rnn-demo-'));
    await build({ configFile: DEMO_CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    return { outDir, owned: true };
  }
  const outDir = join(shared, 'demo');
  if (!existsSync(outDir)) {
    // Built beside it and renamed into place, so that a build cut short is never taken for a finished one.
    const partial = mkdtempSync(join(shared, 'partial-'));
    await build({ configFile: DEMO_CONFIG, logLevel: 'warn', build: { outDir: partial, emptyOutDir: true } });
    renameSync(partial, outDir);
  }
  return { outDir, owned: false };
}

/** Builds the page with the demo's Vite config (once per test run, see demoBuild) and serves it on localhost. */
export async function buildAndServe(): Promise<ServedDemo> {
  const { outDir, owned } = await demoBuild();
  const port = await freePort();
  const server: PreviewServer = await preview({
    configFile: DEMO_CONFIG,
    logLevel: 'warn',
    build: { outDir },
    preview: { port, strictPort: true, host: '127.0.0.1', open: false },
  });
  return {
    url: `http://localhost:${port}/`,
    async close() {
      await server.close();
      if (owned) rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** Starts headless Chromium, with or without WebGPU. */
export async function launchBrowser(options: { webgpu: boolean }): Promise<Browser> {
  const args = options.webgpu ? [...WEBGPU_FLAGS, ...COMMON_FLAGS] : ['--disable-features=WebGPU', ...COMMON_FLAGS];
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args,
    defaultViewport: { width: 1500, height: 1300 },
    protocolTimeout: 240_000,
  });
}

/** A page with its console errors and uncaught exceptions recorded. */
export interface WatchedPage {
  page: Page;
  errors: string[];
  log: string[];
}

/** Opens `url` in a new page, recording its console, console errors, page errors and failed requests. */
export async function watchPage(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  const log: string[] = [];
  page.on('console', (m) => {
    log.push(`${m.type()}: ${m.text()}`);
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${(e as Error).message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, log };
}

/** Opens the demo in a new page (watchPage) and waits until it is ready. */
export async function openDemo(browser: Browser, url: string): Promise<WatchedPage> {
  const watched = await watchPage(browser, url);
  await watched.page.waitForFunction(() => (window as unknown as { almDemo?: { ready: boolean } }).almDemo?.ready === true, { timeout: 30_000 });
  return watched;
}

/** Sends downloads of `page` to a fresh folder; returns a function that waits for a file there. */
export async function captureDownloads(page: Page): Promise<(timeoutMs?: number) => Promise<{ name: string; text: string }>> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'alm-rnn-downloads-'));
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
  const seen = new Set<string>();
  /** Sizes seen at the last poll: a file counts as arrived once it is non-empty and its size held for one poll (Chromium may show the final name before the last bytes). */
  const sizes = new Map<string, number>();
  return async (timeoutMs = 15_000) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      for (const f of readdirSync(dir).filter((x) => !x.endsWith('.crdownload') && !seen.has(x))) {
        const size = statSync(join(dir, f)).size;
        if (size > 0 && sizes.get(f) === size) {
          seen.add(f);
          return { name: f, text: readFileSync(join(dir, f), 'utf8') };
        }
        sizes.set(f, size);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no download arrived within ${timeoutMs} ms`);
  };
}

/** The page's test hooks. */
export interface DemoHooks {
  state(): string;
  counts(): Record<string, number>;
  iterations(): number;
  sweeps(): number;
}

/** Reads one of the page's test hooks. */
export function hook<K extends keyof DemoHooks>(page: Page, name: K): Promise<ReturnType<DemoHooks[K]>> {
  return page.evaluate((n) => {
    const hooks = (window as unknown as { almDemo: Record<string, () => unknown> }).almDemo;
    return hooks[n]();
  }, name) as Promise<ReturnType<DemoHooks[K]>>;
}

/** Waits until the run state is one of `states`; fails early with the page's error text on "error". */
export async function waitForState(page: Page, states: string[], timeoutMs: number): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await hook(page, 'state');
    if (states.includes(s)) return s;
    if (s === 'error') {
      const text = await page.$eval('#run-error', (e) => e.textContent);
      throw new Error(`the run failed: ${text}`);
    }
    if (Date.now() > until) throw new Error(`state stayed "${s}", expected one of ${states.join(', ')} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Replaces a text field's value and fires input and change events, as typing would. */
export async function setField(page: Page, id: string, value: string): Promise<void> {
  await page.$eval(`#${id}`, (e, v) => {
    const input = e as HTMLInputElement;
    input.value = v;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

/** Selects an option and fires the change event. */
export async function selectOption(page: Page, id: string, value: string): Promise<void> {
  await page.select(`#${id}`, value);
}
