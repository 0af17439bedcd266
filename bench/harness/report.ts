// The harness's Markdown report: machine and adapter, the ms-per-sweep table with GPU/CPU
// ratio columns, the per-kernel table, and the end-to-end comparison.
import type { BenchReport, PointResult } from './types.ts';

function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '—';
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return x.toPrecision(digits);
}

function msCell(p: PointResult | undefined): string {
  if (!p) return '—';
  if (p.status !== 'ok' || !p.msPerSweep) return p.status === 'skipped' ? `skipped¹` : 'failed¹';
  const s = p.msPerSweep;
  const rel = s.median > 0 ? (100 * s.mad) / s.median : 0;
  return `${fmt(s.median)} ±${rel < 10 ? rel.toFixed(1) : rel.toFixed(0)}%`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0)) return '—';
  const r = a / b;
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

/** Short text of a size column: "sp500 (paper)" or "T=1000". */
function sizeLabel(p: PointResult): string {
  return p.group === 'paper' ? `${p.id} (paper)` : p.id;
}

/** The Markdown report of a harness run. */
export function renderMarkdown(rep: BenchReport): string {
  const L: string[] = [];
  const gpuName = rep.adapter ? rep.adapter.line : 'no WebGPU adapter';
  L.push(`# alm-rnn benchmark — ${rep.profile} profile`);
  L.push('');
  L.push(`- Run: ${rep.started} (${rep.seconds.toFixed(0)} s), \`${rep.command}\``);
  const m = rep.machine;
  const machine = [m.runtime, m.cpu, m.cores !== undefined ? `${m.cores} cores` : undefined,
    m.memoryGiB !== undefined ? `${m.memoryGiB.toFixed(0)} GiB` : undefined, m.platform, m.node ? `Node ${m.node}` : undefined, m.userAgent]
    .filter(Boolean).join(', ');
  L.push(`- Machine: ${machine}`);
  if (rep.source) {
    const d = rep.source.dirty;
    L.push(`- Code: commit ${rep.source.commit.slice(0, 10)}${d.length ? ` with uncommitted changes to ${d.length} engine file${d.length > 1 ? 's' : ''} (${d.slice(0, 6).join(', ')}${d.length > 6 ? ', …' : ''})` : ''}`);
  }
  if (m.loadAverage) {
    L.push(`- Load average (1 min) at start / end: ${m.loadAverage.start.toFixed(2)} / ${m.loadAverage.end?.toFixed(2) ?? '—'}` +
      ' — other work on the machine slows both backends; compare ratios within one run.');
  }
  L.push(`- CPU backend: ${rep.backendDescriptions.cpu ?? 'not measured'}`);
  L.push(`- WebGPU backend: ${rep.adapter ? `${rep.backendDescriptions.webgpu ?? 'webgpu'} — adapter ${gpuName}` : `not measured (${rep.gpuUnavailable ?? 'not asked for'})`}`);
  if (rep.adapter) {
    L.push(`- Adapter runtime: ${rep.adapter.runtime}; timestamp-query: ${rep.adapter.timestampQuery ? 'yes' : 'no'}`);
    L.push(`- Per-kernel times: ${rep.adapter.timestampNote}`);
    if (rep.adapter.software) L.push('- **The WebGPU adapter is a software rasteriser (SwiftShader on the CPU): its times say nothing about a real GPU.**');
  }
  L.push(`- Profile: ${rep.profileDescription}`);
  L.push('');
  L.push('## ms per BCD sweep');
  L.push('');
  L.push('Median wall-clock ms per sweep over the repetitions (± median absolute deviation); a repetition is one');
  L.push('`sweep(k)` call of k sweeps, submit to completion. GFLOP/s counts docs/method.md §7; GB/s the byte model');
  L.push('of bench/flops.ts (float64 on the CPU, f32 on the GPU). GPU/CPU is the time ratio in this run (above 1: the GPU is slower).');
  L.push('');
  L.push('| size | r | n | m | T | GFLOP/sweep | CPU ms | CPU GFLOP/s | GPU ms (wall) | GPU ms (timestamps) | GPU GFLOP/s | GPU GB/s | GPU/CPU (wall) | GPU/CPU (GPU time) | dispatches / read-backs / submits per sweep |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  const ids = [...new Set(rep.points.map((p) => p.id))];
  const notes = new Map<string, string[]>();
  const unmeasured: string[] = [];
  for (const id of ids) {
    const cpu = rep.points.find((p) => p.id === id && p.backend === 'cpu');
    const gpu = rep.points.find((p) => p.id === id && p.backend === 'webgpu');
    const any = (cpu ?? gpu)!;
    for (const p of [cpu, gpu]) if (p?.note) notes.set(p.note, [...(notes.get(p.note) ?? []), `${p.backend} ${p.id}`]);
    // A size no backend measured has nothing to show: it is named below the table, with why.
    if ([cpu, gpu].every((p) => !p || p.status === 'skipped')) {
      unmeasured.push(id);
      continue;
    }
    const cpuOk = cpu?.status === 'ok' ? cpu : undefined;
    const gpuOk = gpu?.status === 'ok' ? gpu : undefined;
    const count = (x: number | undefined) => (x === undefined ? '—' : Number.isInteger(x) ? String(x) : x.toFixed(2));
    const counts = gpuOk && gpuOk.dispatchesPerSweep !== undefined
      ? `${count(gpuOk.dispatchesPerSweep)} / ${count(gpuOk.readbacksPerSweep)} / ${count(gpuOk.submitsPerSweep)}`
      : '—';
    L.push(`| ${sizeLabel(any)} | ${any.r} | ${any.n} | ${any.m} | ${any.T} | ${fmt(any.flopsPerSweep / 1e9)} | ${msCell(cpu)} | ${fmt(cpuOk?.gflops)} | ` +
      `${msCell(gpu)} | ${fmt(gpuOk?.gpuMsPerSweep)} | ${fmt(gpuOk?.gflops)} | ${fmt(gpuOk?.gbPerS)} | ` +
      `${ratio(gpuOk?.msPerSweep?.median, cpuOk?.msPerSweep?.median)} | ${ratio(gpuOk?.gpuMsPerSweep, cpuOk?.msPerSweep?.median)} | ${counts} |`);
  }
  L.push('');
  if (unmeasured.length > 0) {
    L.push(`Not measured (every backend skipped it; why in the notes): ${unmeasured.join(', ')}.`);
    L.push('');
  }
  if (notes.size > 0) {
    L.push('¹ Notes:');
    L.push('');
    for (const [note, where] of notes) L.push(`- ${where.join(', ')}: ${note}`);
    L.push('');
  }

  const profiled = rep.points.filter((p) => p.backend === 'webgpu' && p.kernels);
  L.push('## WebGPU time per kernel family (one sweep)');
  L.push('');
  if (profiled.length === 0) {
    const why = rep.points.find((p) => p.backend === 'webgpu' && p.kernelsUnavailable)?.kernelsUnavailable;
    L.push(rep.adapter ? (why ?? 'No point was profiled.') : 'No WebGPU adapter.');
  } else {
    const fams = [...new Set(profiled.flatMap((p) => p.kernels!.families.map((f) => f.family)))];
    L.push(profiled[0].kernels!.note + '.');
    L.push('');
    L.push(`| size | total ms | ${fams.join(' | ')} |`);
    L.push(`|---|---:|${fams.map(() => '---:').join('|')}|`);
    for (const p of profiled) {
      const k = p.kernels!;
      const cells = fams.map((f) => {
        const x = k.families.find((y) => y.family === f);
        return x ? `${fmt(x.ms)} (${(100 * x.share).toFixed(0)}%)` : '—';
      });
      L.push(`| ${sizeLabel(p)} | ${fmt(k.totalMs)} | ${cells.join(' | ')} |`);
    }
    const unavailable = rep.points.filter((p) => p.backend === 'webgpu' && p.kernelsUnavailable);
    if (unavailable.length > 0) {
      L.push('');
      for (const p of unavailable) L.push(`- ${p.id}: ${p.kernelsUnavailable}`);
    }
  }
  L.push('');

  const e = rep.endToEnd;
  L.push('## End to end: time to a target TestErr');
  L.push('');
  if (!e) {
    L.push('Not run.');
  } else {
    L.push(`Data: ${e.dataset} (r=${e.shape.r}, n=${e.shape.n}, m=${e.shape.m}, T1=${e.shape.T1} of T=${e.shape.T}). ` +
      `Target TestErr ${fmt(e.target, 4)}: ${e.targetRule}. ALM caps ${e.almCaps.outer}×${e.almCaps.inner} sweeps (Table 2 parameters, N(0, 0.1²) initialisation); ` +
      `each run stops after ${e.secondsCap} s. Baseline: ${e.baselineSource}. Times are wall clock from the start of each run, ` +
      'set-up and each method\'s own TrainErr/TestErr evaluations (per outer iteration, per epoch) included.');
    L.push('');
    L.push('| method | runs on | time to target (s) | iterations to target | best TestErr | final TestErr | final TrainErr | iterations run | seconds run | note |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
    // A run that never started has no times: it is named below the table, with why.
    for (const r of e.runs.filter((x) => x.status !== 'skipped')) {
      const unit = r.method === 'alm' ? 'sweeps' : 'epochs';
      const note = [r.status !== 'ok' ? r.status : '', r.note ?? '', r.timeCapped ? `stopped at the ${e.secondsCap} s cap` : ''].filter(Boolean).join('; ');
      L.push(`| ${r.label} | ${r.backend} | ${r.secondsToTarget !== null ? fmt(r.secondsToTarget) : 'not reached'} | ` +
        `${r.iterationsToTarget !== null ? `${r.iterationsToTarget} ${unit}` : '—'} | ${fmt(r.bestTestErr ?? undefined, 4)} | ${fmt(r.finalTestErr ?? undefined, 4)} | ` +
        `${fmt(r.finalTrainErr ?? undefined, 4)} | ${r.iterations} ${unit} | ${fmt(r.seconds)} | ${note} |`);
    }
    const notRun = e.runs.filter((x) => x.status === 'skipped');
    if (notRun.length > 0) {
      L.push('');
      for (const r of notRun) L.push(`Not run: ${r.label} (${r.backend}): ${r.note ?? 'skipped'}.`);
    }
  }
  L.push('');
  if (rep.notes.length > 0) {
    L.push('## Notes');
    L.push('');
    for (const n of rep.notes) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}
