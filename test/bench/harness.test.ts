// `npm run bench -- --quick` as CI runs it: a child process writes the Markdown table, the JSON
// and the two SVG plots into a temporary folder; this checks that they are well-formed (not
// how fast anything is: benchmarks print numbers, tests check shapes).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BENCH_FILES } from '../../bench/cli.ts';
import { NO_TIMESTAMPS } from '../../bench/harness/gpu.ts';
import { planSizes, PROFILES } from '../../bench/harness/sizes.ts';
import { BENCH_FORMAT, type BenchReport } from '../../bench/harness/types.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'alm-rnn-bench-'));
let code: number | null = null;
let output = '';
/** When each chunk of output arrived (ms since the start), to check that the bench never goes quiet for long in a pipe. */
const arrivals: number[] = [];
let report: BenchReport;

function runQuick(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.mjs', 'bench/main.ts', '--quick', '--out', out], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const t0 = performance.now();
    const take = (d: Buffer): void => {
      output += d;
      arrivals.push(performance.now() - t0);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (c) => {
      code = c;
      resolve();
    });
  });
}

beforeAll(async () => {
  await runQuick();
  if (existsSync(join(out, BENCH_FILES.json))) report = JSON.parse(readFileSync(join(out, BENCH_FILES.json), 'utf8'));
}, 150_000);

describe('npm run bench -- --quick', () => {
  it('exits 0 and writes the table, the JSON and both plots', () => {
    expect(code, output).toBe(0);
    for (const f of Object.values(BENCH_FILES)) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it('writes JSON with the machine, the adapter (or why there is none) and every point', () => {
    expect(report.format).toBe(BENCH_FORMAT);
    expect(report.profile).toBe('quick');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.cpu).toBeTruthy();
    if (report.adapter) {
      expect(typeof report.adapter.timestampQuery).toBe('boolean');
      expect(report.adapter.line).toBeTruthy();
      if (!report.adapter.timestampQuery) expect(report.adapter.timestampNote).toBe(NO_TIMESTAMPS);
    } else {
      expect(report.gpuUnavailable).toMatch(/WebGPU/);
    }
    const sizes = planSizes(PROFILES.quick);
    expect(report.points.length).toBe(sizes.length * report.backends.length);
    for (const p of report.points) {
      expect(['ok', 'skipped', 'failed']).toContain(p.status);
      expect(p.flopsPerSweep).toBeGreaterThan(0);
      expect(p.bytesPerSweep).toBeGreaterThan(0);
      if (p.status === 'ok') {
        expect(p.msPerSweep!.median).toBeGreaterThan(0);
        expect(p.msPerSweep!.min).toBeLessThanOrEqual(p.msPerSweep!.median);
        expect(p.msPerSweep!.max).toBeGreaterThanOrEqual(p.msPerSweep!.median);
        expect(p.gflops).toBeGreaterThan(0);
      } else {
        expect(p.note).toBeTruthy();
      }
    }
    // The tiny CPU points always fit the quick budget.
    expect(report.points.filter((p) => p.backend === 'cpu').every((p) => p.status === 'ok')).toBe(true);
    const gpu = report.points.filter((p) => p.backend === 'webgpu' && p.status === 'ok');
    for (const p of gpu) {
      expect(p.dispatchesPerSweep).toBeGreaterThan(0);
      expect(p.readbacksPerSweep).toBe(0);
      if (p.kernels) {
        expect(p.kernels.families.length).toBeGreaterThan(0);
        expect(p.kernels.families.reduce((s, f) => s + f.share, 0)).toBeCloseTo(1, 6);
      }
    }
    const e2e = report.endToEnd!;
    expect(e2e.dataset).toBe('synthetic-small');
    expect(Number.isFinite(e2e.target)).toBe(true);
    expect(e2e.runs.map((r) => r.method)).toContain('alm');
    expect(e2e.runs.length).toBe(report.backends.length + 1);
  });

  it('writes a Markdown table with a row per size and GPU/CPU ratio columns', () => {
    const md = readFileSync(join(out, BENCH_FILES.report), 'utf8');
    expect(md).toMatch(/^# alm-rnn benchmark — quick profile/);
    const header = md.split('\n').find((l) => l.startsWith('| size |'))!;
    expect(header).toContain('GPU/CPU (wall)');
    const cols = header.split('|').length;
    for (const s of planSizes(PROFILES.quick)) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${s.id} `) || l.startsWith(`| ${s.id} (paper)`));
      expect(row, s.id).toBeTruthy();
      expect(row!.split('|').length).toBe(cols);
    }
    expect(md).toContain('## End to end: time to a target TestErr');
    if (report.adapter && !report.adapter.timestampQuery) expect(md).toContain(NO_TIMESTAMPS);
  });

  it('says what it compiles, and speaks at least every 10 s through a pipe', () => {
    if (report.adapter) expect(output).toMatch(/^compiling the WebGPU pipelines \(once per device/m);
    // Heartbeats come every 10 s; the margin is for a loaded machine. Silent phases used to last 40–90 s.
    const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
    expect(Math.max(...gaps) / 1000, output).toBeLessThan(20);
  });

  it('leaves end-to-end runs that never started out of the table, saying why below it', () => {
    const md = readFileSync(join(out, BENCH_FILES.report), 'utf8');
    for (const r of report.endToEnd!.runs) {
      const row = md.split('\n').some((l) => l.startsWith(`| ${r.label} |`));
      expect(row, r.label).toBe(r.status !== 'skipped');
      if (r.status === 'skipped') expect(md).toContain(`Not run: ${r.label} (${r.backend}): ${r.note}`);
    }
  });

  it('draws ms per sweep against T and r with one series per measured backend', () => {
    for (const [axis, file] of [['T', BENCH_FILES.plotT], ['r', BENCH_FILES.plotR]] as const) {
      const svg = readFileSync(join(out, file), 'utf8');
      expect(svg.startsWith('<svg'), file).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg).toContain(`ms per BCD sweep against ${axis}`);
      expect(svg).toContain('CPU (float64)');
      if (report.points.some((p) => p.group === axis && p.backend === 'webgpu' && p.status === 'ok')) expect(svg).toContain('WebGPU (f32');
      // Vega draws each series' line in its own mark-line group.
      const series = new Set(report.points.filter((p) => p.group === axis && p.status === 'ok').map((p) => p.backend)).size;
      expect(series).toBeGreaterThanOrEqual(1);
      expect((svg.match(/<g class="mark-line/g) ?? []).length).toBe(series);
    }
  });
});
