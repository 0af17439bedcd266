// The benchmark page: builds the harness's arguments from the form (or from ?args=…&run for
// scripted runs), runs the shared harness in a worker, then shows the report's tables and the
// scaling plots and offers the JSON and Markdown for download.
import { renderScalingPlots } from '../../bench/harness/plots.ts';
import { renderMarkdown } from '../../bench/harness/report.ts';
import { parseBenchArgs } from '../../bench/harness/options.ts';
import type { BenchReport } from '../../bench/harness/types.ts';
import { UserInputError } from 'alm-rnn';
import { markdownToHtml } from './markdown.ts';
import type { FromBenchWorker, RunRequest } from './protocol.ts';
import '../src/style.css';
import './style.css';

/** Hooks for scripted runs (browser tests). */
interface BenchHooks {
  ready: boolean;
  running: boolean;
  report: BenchReport | null;
  error: string | null;
  log: string[];
}
const hooks: BenchHooks = { ready: false, running: false, report: null, error: null, log: [] };
(window as unknown as { almBench: BenchHooks }).almBench = hooks;

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`bench page: element #${id} is missing`);
  return e as T;
}

let worker: Worker | null = null;
let report: BenchReport | null = null;
let markdown = '';

/** The harness arguments the form describes. */
function formArgs(): string[] {
  const args = ['--profile', el<HTMLSelectElement>('f-profile').value];
  const backends = [el<HTMLInputElement>('f-cpu').checked ? 'cpu' : '', el<HTMLInputElement>('f-webgpu').checked ? 'webgpu' : ''].filter(Boolean);
  args.push('--backends', backends.join(','));
  const sizes = el<HTMLInputElement>('f-sizes').value.trim();
  if (sizes) args.push('--sizes', sizes);
  const max = el<HTMLInputElement>('f-max').value.trim();
  if (max) args.push('--max-seconds', max);
  if (!el<HTMLInputElement>('f-kernels').checked) args.push('--no-kernels');
  if (!el<HTMLInputElement>('f-e2e').checked) args.push('--no-e2e');
  return args;
}

function setRunning(on: boolean): void {
  hooks.running = on;
  // The settings describe the run in flight: they stay as they are until it ends.
  for (const field of el<HTMLFormElement>('settings').querySelectorAll<HTMLInputElement | HTMLSelectElement>('input, select')) field.disabled = on;
  el<HTMLButtonElement>('run').disabled = on;
  el<HTMLButtonElement>('stop').disabled = !on;
  el<HTMLButtonElement>('download-json').disabled = on || !report;
  el<HTMLButtonElement>('download-md').disabled = on || !report;
}

function status(text: string, error = false): void {
  const s = el('status');
  s.textContent = text;
  s.classList.toggle('error', error);
}

function appendLog(line: string): void {
  hooks.log.push(line);
  const log = el('log');
  log.textContent += `${line}\n`;
  log.scrollTop = log.scrollHeight;
}

async function show(rep: BenchReport): Promise<void> {
  report = rep;
  hooks.report = rep;
  markdown = renderMarkdown(rep);
  const art = el('report');
  art.innerHTML = markdownToHtml(markdown);
  art.hidden = false;
  const plots = await renderScalingPlots(rep);
  const box = el('plots');
  box.innerHTML = '';
  for (const svg of [plots.T, plots.r]) {
    if (!svg) continue;
    const div = document.createElement('div');
    div.className = 'chart';
    div.innerHTML = svg;
    box.appendChild(div);
  }
}

/** Refuses arguments the harness would refuse (an unreadable size filter, say) before a worker starts; returns whether they passed. */
function checkArgs(args: string[]): boolean {
  const box = el('args-error');
  try {
    parseBenchArgs(args);
  } catch (e) {
    if (!(e instanceof UserInputError)) throw e;
    hooks.error = e.message;
    box.textContent = e.message;
    box.hidden = false;
    status('Not started: fix the settings above.', true);
    return false;
  }
  box.hidden = true;
  return true;
}

function run(args: string[]): void {
  if (!checkArgs(args)) return;
  worker?.terminate();
  report = null;
  hooks.report = null;
  hooks.error = null;
  hooks.log = [];
  el('log').textContent = '';
  el('report').hidden = true;
  el('plots').innerHTML = '';
  setRunning(true);
  status(`Running: ${args.join(' ')} …`);
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'alm-rnn benchmark' });
  worker = w;
  w.onmessage = async (ev: MessageEvent<FromBenchWorker>) => {
    const m = ev.data;
    if (m.type === 'log') appendLog(m.line);
    else if (m.type === 'error') {
      hooks.error = m.message;
      status(`Failed: ${m.message}`, true);
      w.terminate();
      worker = null;
      setRunning(false);
    } else {
      await show(m.report);
      status(`Done in ${m.report.seconds.toFixed(0)} s.`);
      w.terminate();
      worker = null;
      setRunning(false);
    }
  };
  w.onerror = (e) => {
    hooks.error = e.message;
    status(`Failed: ${e.message}`, true);
    setRunning(false);
  };
  w.postMessage({ type: 'run', args } satisfies RunRequest);
}

function download(name: string, type: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => {
    URL.revokeObjectURL(a.href);
    a.remove();
  }, 0);
}

el<HTMLFormElement>('settings').addEventListener('submit', (e) => {
  e.preventDefault();
  run(formArgs());
});
el('stop').addEventListener('click', () => {
  worker?.terminate();
  worker = null;
  status('Stopped.');
  setRunning(false);
});
el('download-json').addEventListener('click', () => {
  if (report) download(`alm-rnn-bench-${report.profile}.json`, 'application/json', JSON.stringify(report, null, 1) + '\n');
});
el('download-md').addEventListener('click', () => {
  if (report) download(`alm-rnn-bench-${report.profile}.md`, 'text/markdown', markdown);
});

// ?args=--quick%20--no-e2e&run starts a run at once.
const params = new URLSearchParams(location.search);
const preset = params.get('args');
hooks.ready = true;
if (params.has('run')) run(preset ? preset.split(/\s+/).filter(Boolean) : formArgs());
