// `npm run bench -- --trials 1,2,4,…`: throughput of batched trials. For each backend, each
// shape (sp500, synthetic-large) and each batch size B it loads B trials of that shape (one
// problem, B initial points: a sweep costs the same whatever the start), times batched sweeps
// and reports trial-sweeps per second, the time of one batched sweep and the dispatches it
// records. The CPU is measured with its pool at every thread count from 1 to the cores, so
// the pool's gain over one thread is read off the same run.
import { UserInputError, type BcdBackend } from 'alm-rnn';
import { benchProblem } from './measure.ts';
import { withHeartbeat } from './progress.ts';
import { renderSvg } from './plots.ts';
import { paperSize, type PaperDataset } from './sizes.ts';

/** One backend configuration the benchmark measures. */
export interface TrialsBackendSpec {
  /** E.g. "cpu ×2 threads" or "webgpu". */
  label: string;
  kind: 'cpu' | 'webgpu';
  threads?: number;
  /** Makes the backend (createBackend); called for every point, disposed after it. */
  create: () => Promise<BcdBackend>;
}

/** Options of runTrialsBench. */
export interface TrialsBenchOptions {
  trials: number[];
  shapes: PaperDataset[];
  backends: TrialsBackendSpec[];
  /** Seconds of timed sweeps per point (after one warm-up sweep). */
  seconds: number;
  /** Points whose probe sweep says they would take longer than this many seconds are skipped. */
  maxPointSeconds: number;
  log: (line: string) => void;
}

/** One measured (backend, shape, B) point. */
export interface TrialsPoint {
  backend: string;
  kind: 'cpu' | 'webgpu';
  threads?: number;
  shape: PaperDataset;
  r: number; n: number; m: number; T: number;
  B: number;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  /** Batched sweeps timed. */
  sweeps?: number;
  msPerBatchedSweep?: number;
  trialSweepsPerSecond?: number;
  /** Compute dispatches one batched sweep records (WebGPU). */
  dispatchesPerSweep?: number;
}

/** The whole benchmark's result. */
export interface TrialsReport {
  format: 'alm-rnn/bench-trials@1';
  command: string;
  date: string;
  machine: Record<string, unknown>;
  seconds: number;
  points: TrialsPoint[];
  notes: string[];
}

/** Parses "1,2,4,8" (or "1-4") into batch sizes. */
export function parseTrialSizes(text: string | undefined): number[] {
  if (!text) throw new UserInputError('--trials needs batch sizes, e.g. --trials 1,2,4,8,16');
  const out: number[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(item);
    const values = range ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i) : [Number(item)];
    for (const v of values) {
      if (!(Number.isInteger(v) && v >= 1 && v <= 65_536)) throw new UserInputError(`--trials: "${item}" is not a batch size (integers 1…65536)`);
      out.push(v);
    }
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

/** Measures every (backend, shape, B) point. */
export async function runTrialsBench(options: TrialsBenchOptions): Promise<TrialsPoint[]> {
  const points: TrialsPoint[] = [];
  let compiled = false;
  for (const spec of options.backends) {
    for (const shape of options.shapes) {
      const size = paperSize(shape);
      const { r, n, m, T } = size;
      // Once a B is too slow for the budget, every larger one is too.
      let tooSlow: string | undefined;
      for (const B of options.trials) {
        const base: TrialsPoint = { backend: spec.label, kind: spec.kind, threads: spec.threads, shape, r, n, m, T, B, status: 'ok' };
        if (tooSlow) {
          points.push({ ...base, status: 'skipped', note: tooSlow });
          continue;
        }
        let backend: BcdBackend | undefined;
        try {
          backend = await spec.create();
          // B copies of the problem, from B different initial points (a sweep costs the same whatever the start).
          const problem = benchProblem(size, Array.from({ length: B }, (_, i) => 17 + i));
          // The first load on a WebGPU device compiles its pipelines: say so rather than go quiet.
          const first = spec.kind === 'webgpu' && !compiled;
          compiled ||= spec.kind === 'webgpu';
          const where = `${spec.label} ${shape} B=${B}`;
          const session = await withHeartbeat(problem.load(backend), first ? 'compiling the WebGPU pipelines' : `loading ${where}`, options.log,
            first ? `${where}: compiling the WebGPU pipelines on the first load (once per device; 15–50 s on a software adapter)` : undefined);
          const gamma = 1;
          const p0 = performance.now();
          await withHeartbeat(session.sweep(1, gamma), `probing ${where}`, options.log);
          const probe = (performance.now() - p0) / 1000;
          if (probe > options.maxPointSeconds) {
            tooSlow = `one batched sweep at B=${base.B} took ${probe.toFixed(1)} s, over the point budget of ${options.maxPointSeconds} s`;
            points.push({ ...base, status: 'skipped', note: tooSlow });
            continue;
          }
          // Batches of sweeps sized to last about a tenth of the budget each, until the budget is spent.
          const per = Math.max(1, Math.min(1000, Math.round((0.1 * options.seconds) / Math.max(probe, 1e-4))));
          let sweeps = 0;
          const t0 = performance.now();
          while ((performance.now() - t0) / 1000 < options.seconds) {
            await session.sweep(per, gamma);
            sweeps += per;
          }
          const seconds = (performance.now() - t0) / 1000;
          const point: TrialsPoint = {
            ...base, sweeps, msPerBatchedSweep: (1000 * seconds) / sweeps, trialSweepsPerSecond: (B * sweeps) / seconds,
            dispatchesPerSweep: session.counters()?.dispatchesPerSweep,
          };
          points.push(point);
          options.log(`${spec.label} ${shape} B=${B}: ${point.msPerBatchedSweep!.toFixed(2)} ms per batched sweep, ${point.trialSweepsPerSecond!.toFixed(1)} trial-sweeps/s${point.dispatchesPerSweep !== undefined ? `, ${point.dispatchesPerSweep} dispatches` : ''}`);
        } catch (e) {
          points.push({ ...base, status: 'failed', note: (e as Error).message.split('\n')[0] });
          options.log(`${spec.label} ${shape} B=${B}: failed: ${(e as Error).message.split('\n')[0]}`);
        } finally {
          backend?.dispose();
        }
      }
    }
  }
  return points;
}

/** The report's Markdown: one table per shape (B down, backends across), then the notes. */
export function renderTrialsMarkdown(rep: TrialsReport): string {
  const lines = [
    '# Batched trials: throughput against the batch size B', '',
    `\`${rep.command}\` on ${String(rep.machine.cpu ?? rep.machine.runtime)} (${String(rep.machine.cores ?? '?')} cores)${rep.machine.adapter ? `, WebGPU: ${String(rep.machine.adapter)}` : ''}, ${rep.date.slice(0, 10)}.`,
    `Each point times batched sweeps for ${rep.seconds} s after one warm-up sweep. Cells: trial-sweeps per second (ms per batched sweep; dispatches per batched sweep on WebGPU); the gain is against B = 1 on the same backend.`,
    '',
  ];
  const shapes = [...new Set(rep.points.map((p) => p.shape))];
  const backends = [...new Set(rep.points.map((p) => p.backend))];
  for (const shape of shapes) {
    const pts = rep.points.filter((p) => p.shape === shape);
    const p0 = pts[0];
    lines.push(`## ${shape} (r=${p0.r}, n=${p0.n}, m=${p0.m}, T=${p0.T})`, '');
    lines.push(`| B | ${backends.join(' | ')} |`, `|---|${backends.map(() => '---|').join('')}`);
    // A B that no backend measured has no cells to show: the notes below say why.
    const measured = [...new Set(pts.filter((p) => p.status !== 'skipped').map((p) => p.B))].sort((a, b) => a - b);
    for (const B of measured) {
      const cells = backends.map((b) => {
        const p = pts.find((x) => x.backend === b && x.B === B);
        if (!p) return '';
        if (p.status !== 'ok') return p.status;
        const one = pts.find((x) => x.backend === b && x.B === 1 && x.status === 'ok');
        const gain = one ? ` ×${(p.trialSweepsPerSecond! / one.trialSweepsPerSecond!).toFixed(2)}` : '';
        return `${p.trialSweepsPerSecond!.toPrecision(4)}${gain} (${p.msPerBatchedSweep!.toPrecision(3)} ms${p.dispatchesPerSweep !== undefined ? `; ${p.dispatchesPerSweep} disp.` : ''})`;
      });
      lines.push(`| ${B} | ${cells.join(' | ')} |`);
    }
    lines.push('');
    // The CPU pool against one thread at the same B: what spreading trials over cores buys.
    const cpu = pts.filter((p) => p.kind === 'cpu' && p.status === 'ok');
    const oneThread = cpu.filter((p) => p.threads === 1);
    const most = Math.max(0, ...cpu.map((p) => p.threads ?? 0));
    const gains = oneThread.map((one) => {
      const pool = cpu.find((p) => p.threads === most && p.B === one.B);
      return pool && most > 1 ? `B=${one.B}: ×${(pool.trialSweepsPerSecond! / one.trialSweepsPerSecond!).toFixed(2)}` : undefined;
    }).filter(Boolean);
    if (gains.length > 0) lines.push(`CPU pool of ${most} threads against one thread, same B: ${gains.join(', ')}.`, '');
  }
  const skipped = rep.points.filter((p) => p.status !== 'ok' && p.note);
  const notes = [...rep.notes, ...[...new Set(skipped.map((p) => `${p.backend} ${p.shape} from B=${p.B}: ${p.status} (${p.note})`))]];
  if (notes.length > 0) lines.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** SVG plot: trial-sweeps per second against B, one line per backend and shape (log–log). */
export async function renderTrialsPlot(rep: TrialsReport): Promise<string | null> {
  const values = rep.points.filter((p) => p.status === 'ok').map((p) => ({ B: p.B, rate: p.trialSweepsPerSecond, series: `${p.backend}, ${p.shape}` }));
  if (values.length === 0) return null;
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'trial-sweeps per second against the batch size B', subtitle: `${String(rep.machine.cpu ?? rep.machine.runtime)}` },
    width: 520,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'B', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'trials per batch B' },
      y: { field: 'rate', type: 'quantitative', scale: { type: 'log' }, title: 'trial-sweeps per second' },
      color: { field: 'series', type: 'nominal', title: 'backend, shape', legend: { orient: 'bottom', labelLimit: 400 } },
    },
  });
}
