// The installable package, measured as a user gets it: `npm pack` of the repository installed
// offline into an empty consumer project (test/helpers/package.ts), then, in one run:
//
//   1. start-up of the CLI: `node node_modules/alm-rnn/bin/alm-rnn.mjs --version` against
//      `node -e 0`, interleaved, median wall time and ratio (target ≤ 1.5×);
//   2. a CPU pool of 2 worker threads ready to sweep: from `new CpuPoolBackend(2)` (the installed
//      dist/backends/cpu/pool.js) to the end of its first load() of a 2-trial tiny problem, each
//      in a fresh `node` process (target < 0.3 s); the same from the TypeScript sources (tsx in
//      each thread) for comparison, and through the public API (trainGrid of 2 seeds, workers 2:
//      from the call to the first onSweeps);
//   3. the tarball (bytes, files) and the consumer's installed node_modules (targets < 1 MB and
//      < 5 MB); the optional `webgpu` peer's size is this repository's node_modules/webgpu folder
//      (not downloaded);
//   4. browser bundles made with esbuild from the consumer (conditions browser, minified): an app
//      using train() with the CPU and WebGPU backends, and one that also imports
//      alm-rnn/datasets; the pool's Web Worker entry bundled apart (target < 60 kB gzip for the
//      first app);
//   5. sp500 training through the public API (train, workers 0) against the internal path
//      (runAlm on createCpuBackend, the identical Problem and initial weights), interleaved, with
//      a bit-for-bit check of the results (target: equal within noise).
//
// Writes README.md and results.json into --out (default bench/results/package). Expects dist/
// to be built (`node bin/build.mjs`); `npm pack` rebuilds it through `prepare` anyway.
//
//   node bin/build.mjs && node bin/run-ts.mjs bench/package.ts [--out DIR] [--version-runs N]
//        [--pool-runs N] [--train-runs N]
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { createConsumer, packRepository, REPO } from '../test/helpers/package.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const OUT = arg('--out', 'bench/results/package');
const VERSION_RUNS = Number(arg('--version-runs', '20'));
const POOL_RUNS = Number(arg('--pool-runs', '10'));
const TRAIN_RUNS = Number(arg('--train-runs', '5'));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const round = (x: number, d = 4): number => Number(x.toFixed(d));
const kB = (b: number): string => `${(b / 1000).toFixed(1)} kB`;
const MB = (b: number): string => `${(b / 1e6).toFixed(2)} MB`;
function git(cmd: string): string {
  try { return execSync(`git ${cmd}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return ''; }
}
/** Apparent size (bytes) and file count of a folder, symbolic links not followed. */
function folderSize(dir: string): { bytes: number; files: number } {
  let bytes = 0, files = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) { bytes += lstatSync(p).size; files++; }
    }
  };
  walk(dir);
  return { bytes, files };
}

const started = performance.now();
const load0 = loadavg();
console.log('packing the repository (npm pack: prepare rebuilds dist/) …');
const packed = packRepository();
const consumer = createConsumer(packed, 'consumer');
const pkgDir = join(consumer, 'node_modules', 'alm-rnn');
const distUrl = (p: string): string => pathToFileURL(join(pkgDir, 'dist', p)).href;

// ---- 3. sizes ----
const tarBytes = statSync(packed.tarball).size;
const tarFiles = execFileSync('tar', ['-tzf', packed.tarball], { encoding: 'utf8' }).split('\n').filter((l) => l && !l.endsWith('/')).length;
const installed = folderSize(join(consumer, 'node_modules'));
const installedEntries = readdirSync(join(consumer, 'node_modules')).filter((e) => !e.startsWith('.'));
const webgpuDir = join(REPO, 'node_modules', 'webgpu');
const webgpu = folderSize(statSync(webgpuDir).isDirectory() ? execFileSync('realpath', [webgpuDir], { encoding: 'utf8' }).trim() : webgpuDir);
const webgpuDeps = Object.keys((JSON.parse(readFileSync(join(webgpuDir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {});
const sizes = {
  tarball: { bytes: tarBytes, files: tarFiles, target: '< 1 MB', pass: tarBytes < 1e6 },
  installed: { ...installed, entries: installedEntries, target: '< 5 MB', pass: installed.bytes < 5e6 },
  webgpuPeer: { ...webgpu, dependencies: webgpuDeps, withPackage: installed.bytes + webgpu.bytes, note: "this repository's node_modules/webgpu (Dawn for linux-x64 and the other prebuilt platforms it ships), not downloaded" },
};
console.log(`tarball ${tarBytes} B (${tarFiles} files); installed node_modules ${installed.bytes} B (${installed.files} files: ${installedEntries.join(', ')}); webgpu peer ${webgpu.bytes} B`);

// ---- 1. CLI start-up ----
function wall(cmd: string, args: string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const t = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return t;
}
const binPath = join(pkgDir, 'bin', 'alm-rnn.mjs');
const versionOut = execFileSync(process.execPath, [binPath, '--version'], { encoding: 'utf8' }).trim();
wall(process.execPath, ['-e', '0'], consumer); // warm the file cache once each
wall(process.execPath, [binPath, '--version'], consumer);
const nodeMs: number[] = [], cliMs: number[] = [];
for (let i = 0; i < VERSION_RUNS; i++) {
  nodeMs.push(wall(process.execPath, ['-e', '0'], consumer));
  cliMs.push(wall(process.execPath, [binPath, '--version'], consumer));
}
const startup = {
  output: versionOut, runs: VERSION_RUNS,
  nodeMedianMs: round(median(nodeMs), 2), cliMedianMs: round(median(cliMs), 2),
  ratio: round(median(cliMs) / median(nodeMs), 3), target: '≤ 1.5×', pass: median(cliMs) / median(nodeMs) <= 1.5,
  nodeMs: nodeMs.map((x) => round(x, 2)), cliMs: cliMs.map((x) => round(x, 2)),
};
console.log(`--version ${startup.cliMedianMs} ms, node -e 0 ${startup.nodeMedianMs} ms: ×${startup.ratio}`);

// ---- 2. CPU pool ready ----
// A tiny 2-trial problem (T=64, n=3, m=1, r=4), seeded data; the child prints the seconds.
const poolBody = (poolUrl: string, initUrl: string, rngUrl: string) => `
const { CpuPoolBackend } = await import(${JSON.stringify(poolUrl)});
const { initializeWeights } = await import(${JSON.stringify(initUrl)});
const { Rng } = await import(${JSON.stringify(rngUrl)});
const T = 64, n = 3, m = 1, r = 4, rng = new Rng(3);
const x = new Float64Array(T * n).map(() => rng.normal()), y = new Float64Array(T * m).map(() => rng.normal());
const lambdas = { l1: 0.01, l2: 0.01, l3: 0.01, l4: 0.01, l5: 0.01, l6: 0.01 };
const p = { T, n, m, r, x, y, activation: { kind: 'relu' }, lambdas, mu: 1 };
const initial = [1, 2].map((s) => initializeWeights('normal-1e-1', r, n, m, new Rng(s)));
const t0 = performance.now();
const pool = new CpuPoolBackend(2);
await pool.load([p, p], initial);
const t1 = performance.now();
await pool.sweep(1, [1, 1]);
const t2 = performance.now();
pool.dispose();
console.log(JSON.stringify({ ready: (t1 - t0) / 1000, firstSweep: (t2 - t1) / 1000 }));
`;
const srcUrl = (p: string): string => pathToFileURL(join(REPO, 'src', p)).href;
const poolDist = poolBody(distUrl('backends/cpu/pool.js'), distUrl('problem/init.js'), distUrl('problem/rng.js'));
const poolSrc = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nregister();\n` + poolBody(srcUrl('backends/cpu/pool.ts'), srcUrl('problem/init.ts'), srcUrl('problem/rng.ts'));
// The public API of the installed package: trainGrid of 2 seeds on 2 workers, call → first onSweeps.
const poolApi = `
import { trainGrid } from 'alm-rnn';
const T = 64, rows = Array.from({ length: T }, (_, t) => [Math.sin(t), Math.cos(t / 3), t / T]);
const targets = rows.map((r) => [r[0] * 0.5 + r[1]]);
let first = null;
const t0 = performance.now();
const run = trainGrid({ inputs: rows, targets, hidden: 4, seeds: [1, 2], backend: 'cpu', workers: 2,
  params: { outer: 1, inner: 2 }, onSweeps: () => { first ??= performance.now(); } });
await run;
const t1 = performance.now();
console.log(JSON.stringify({ ready: (first - t0) / 1000, total: (t1 - t0) / 1000 }));
`;
// Each child is a .mjs file in the consumer (not \`node -e\`: worker threads inherit the parent's
// execArgv, and \`--input-type\` is refused for a worker's file entry).
let childCount = 0;
function child(code: string, cwd: string): { ready: number; firstSweep?: number; total?: number } {
  const file = join(consumer, `child-${childCount++}.mjs`);
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, [file], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}
const poolSamples = { dist: [] as number[], api: [] as number[], source: [] as number[] };
const firstSweep: number[] = [];
child(poolDist, consumer); // warm-up (file cache)
for (let i = 0; i < POOL_RUNS; i++) {
  const d = child(poolDist, consumer);
  poolSamples.dist.push(d.ready); firstSweep.push(d.firstSweep!);
  poolSamples.api.push(child(poolApi, consumer).ready);
  poolSamples.source.push(child(poolSrc, REPO).ready);
}
const pool = {
  runs: POOL_RUNS, problem: '2 trials, T=64 n=3 m=1 r=4',
  distMedianS: round(median(poolSamples.dist)), apiMedianS: round(median(poolSamples.api)), sourceMedianS: round(median(poolSamples.source)),
  firstSweepMedianS: round(median(firstSweep), 5),
  target: '< 0.3 s', pass: median(poolSamples.dist) < 0.3,
  samples: Object.fromEntries(Object.entries(poolSamples).map(([k, v]) => [k, v.map((x) => round(x))])),
};
console.log(`pool ready: dist ${pool.distMedianS} s, public API ${pool.apiMedianS} s, source (tsx) ${pool.sourceMedianS} s`);

// ---- 4. browser bundles ----
const app1 = `import { train, Model } from 'alm-rnn';
const inputs = [[1, 2], [2, 3], [3, 5], [5, 8], [8, 13], [13, 21]], targets = [[3], [5], [8], [13], [21], [34]];
export async function run(useGpu) {
  const result = await train({ inputs, targets, hidden: 4, backend: useGpu ? 'webgpu' : 'cpu', params: { outer: 2, inner: 5 } });
  const again = Model.fromJSON(result.model.toJSON());
  return again.predict(inputs);
}
`;
const app2 = `import { train, Model } from 'alm-rnn';
import { loadDataset } from 'alm-rnn/datasets';
export async function run(useGpu) {
  const result = await train({ ...loadDataset('sp500'), backend: useGpu ? 'webgpu' : 'cpu', params: { outer: 2, inner: 5 } });
  return Model.fromJSON(result.model.toJSON());
}
`;
writeFileSync(join(consumer, 'app1.js'), app1);
writeFileSync(join(consumer, 'app2.js'), app2);
/** esbuild's errors for a build with no externals (what a user gets without configuration), or []. */
async function plainErrors(entry: string): Promise<string[]> {
  try {
    await build({ entryPoints: [entry], absWorkingDir: consumer, bundle: true, minify: true, format: 'esm', platform: 'browser', conditions: ['browser'], target: 'es2022', write: false, logLevel: 'silent', outdir: join(consumer, 'out') });
    return [];
  } catch (err) {
    return ((err as { errors?: { text: string; location?: { file: string; line: number } }[] }).errors ?? [{ text: String(err) }])
      .map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
  }
}
const plain = { main: await plainErrors('./app1.js'), withDatasets: await plainErrors('./app2.js'), worker: await plainErrors('./node_modules/alm-rnn/dist/backends/cpu/web-pool-worker.js') };
// Measured with node: built-ins external when the plain build fails (what Vite does by itself:
// it replaces them with empty modules and warns); the report says which.
const EXTERNAL = plain.main.length + plain.withDatasets.length + plain.worker.length > 0 ? ['node:*'] : [];
async function bundle(entry: string): Promise<{ raw: number; gzip: number; text: string; warnings: string[] }> {
  const r = await build({ external: EXTERNAL,
    entryPoints: [entry], absWorkingDir: consumer, bundle: true, minify: true, format: 'esm', platform: 'browser',
    conditions: ['browser'], target: 'es2022', write: false, logLevel: 'silent', outdir: join(consumer, 'out'),
  });
  const js = r.outputFiles.filter((f) => f.path.endsWith('.js'));
  if (js.length !== 1) throw new Error(`expected one JS output for ${entry}, got ${r.outputFiles.map((f) => f.path).join(', ')}`);
  const text = js[0].text;
  return { raw: js[0].contents.byteLength, gzip: gzipSync(js[0].contents, { level: 9 }).byteLength, text, warnings: r.warnings.map((w) => w.text) };
}
const b1 = await bundle('./app1.js');
const b2 = await bundle('./app2.js');
const bw = await bundle('./node_modules/alm-rnn/dist/backends/cpu/web-pool-worker.js');
const workerUrlKept = /new URL\(["']\.\/web-pool-worker\.js["'],\s*import\.meta\.url\)/.test(b1.text);
const bundles = {
  note: `esbuild, platform browser, format esm, bundle, minify, conditions [browser], target es2022${EXTERNAL.length ? ', external node:*' : ''}; gzip is zlib level 9`,
  plainBuild: { ok: plain.main.length + plain.withDatasets.length + plain.worker.length === 0, errors: plain, external: EXTERNAL },
  main: { raw: b1.raw, gzip: b1.gzip, containsRV_SP500: b1.text.includes('RV_SP500'), workerUrlKept, warnings: b1.warnings, target: '< 60 kB gzip', pass: b1.gzip < 60000 && !b1.text.includes('RV_SP500') },
  withDatasets: { raw: b2.raw, gzip: b2.gzip, containsRV_SP500: b2.text.includes('RV_SP500'), deltaRaw: b2.raw - b1.raw, deltaGzip: b2.gzip - b1.gzip, warnings: b2.warnings },
  worker: { raw: bw.raw, gzip: bw.gzip, warnings: bw.warnings },
};
const csvDir = join(REPO, 'src', 'problem', 'datasets');
const csvBytes = readdirSync(csvDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.csv')).reduce((s, e) => s + statSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size, 0);
(bundles.withDatasets as Record<string, unknown>).csvBytesInRepo = csvBytes;
console.log(`bundles: main ${b1.raw} B (${b1.gzip} gzip), +datasets ${b2.raw} B (${b2.gzip} gzip), worker ${bw.raw} B (${bw.gzip} gzip); CSV files ${csvBytes} B`);

// ---- 5. training: public API against the internal path ----
type W = Record<string, unknown> & { r: number; n: number; m: number };
const api = (await import(distUrl('index.node.js'))) as typeof import('../src/index.node.ts');
const ds = (await import(distUrl('datasets.js'))) as typeof import('../src/datasets.ts');
const { runAlm } = (await import(distUrl('alm/alm.js'))) as typeof import('../src/alm/alm.ts');
const { createCpuBackend } = (await import(distUrl('backends/cpu/cpu-backend.js'))) as typeof import('../src/backends/cpu/cpu-backend.ts');
const { standardize, splitPoint } = (await import(distUrl('problem/standardize.js'))) as typeof import('../src/problem/standardize.ts');
const { paramsFor, validateParams } = (await import(distUrl('alm/params.js'))) as typeof import('../src/alm/params.ts');
const { initializeWeights } = (await import(distUrl('problem/init.js'))) as typeof import('../src/problem/init.ts');
const { Rng } = (await import(distUrl('problem/rng.js'))) as typeof import('../src/problem/rng.ts');
const { initSeed } = (await import(distUrl('alm/setup.js'))) as typeof import('../src/alm/setup.ts');

const OUTER = 10, INNER = 50;
const sp = ds.loadDataset('sp500');
const trainParams = { tau: sp.params.tau, outer: OUTER, inner: INNER };
const T = sp.inputs.length / sp.inputNames.length;
const series = { T, n: sp.inputNames.length, m: sp.targetNames.length, x: sp.inputs, y: sp.targets, inputNames: sp.inputNames, targetNames: sp.targetNames };
const T1 = splitPoint(T, sp.trainFraction);
const std = standardize(series, { mode: 'whole', T1, columns: 'all' });
const problem = { name: 'sp500', series: std.series, T1, r: sp.hidden, activation: { kind: 'relu' as const }, standardization: std.standardization };
const params = validateParams(paramsFor(undefined, { overrides: trainParams }));
const initial = initializeWeights('normal-1e-1', sp.hidden, series.n, series.m, new Rng(initSeed(1)));

const cpuS = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
async function viaApi() {
  const c0 = cpuS(), t0 = performance.now();
  const r = await api.train({ ...sp, params: trainParams, backend: 'cpu', workers: 0, standardize: 'whole', seed: 1 });
  return { s: (performance.now() - t0) / 1000, cpu: cpuS() - c0, weights: r.model.weights as unknown as W, trainErr: r.trainErr, testErr: r.testErr, feasVio: r.feasVio, sweeps: r.sweeps, T1: r.trainSteps };
}
async function viaInternal() {
  const c0 = cpuS(), t0 = performance.now();
  const backend = createCpuBackend('wasm');
  try {
    const r = await runAlm(backend, problem, params, initial, { testHidden: 'carry' });
    return { s: (performance.now() - t0) / 1000, cpu: cpuS() - c0, weights: r.weights as unknown as W, trainErr: r.trainErr, testErr: r.testErr, feasVio: r.feasVio, sweeps: r.sweeps, T1 };
  } finally {
    backend.dispose();
  }
}
function identical(a: W, b: W): { identical: boolean; maxAbsDiff: number } {
  let same = a.r === b.r && a.n === b.n && a.m === b.m, maxAbs = 0;
  for (const k of Object.keys(a)) {
    const u = a[k], v = b[k];
    if (!(u instanceof Float64Array)) continue;
    if (!(v instanceof Float64Array) || v.length !== u.length) { same = false; continue; }
    for (let i = 0; i < u.length; i++) {
      if (!Object.is(u[i], v[i])) same = false;
      maxAbs = Math.max(maxAbs, Math.abs(u[i] - v[i]));
    }
  }
  return { identical: same, maxAbsDiff: maxAbs };
}
await viaApi(); await viaInternal(); // warm-up: JIT, wasm compilation
const apiS: number[] = [], internalS: number[] = [], apiCpu: number[] = [], internalCpu: number[] = [];
let check = { identical: true, maxAbsDiff: 0, scalars: true };
let lastApi: Awaited<ReturnType<typeof viaApi>> | null = null;
for (let i = 0; i < TRAIN_RUNS; i++) {
  // Alternate which path goes first in a pair, so that neither always follows the other's garbage.
  let a, b;
  if (i % 2 === 0) { a = await viaApi(); b = await viaInternal(); } else { b = await viaInternal(); a = await viaApi(); }
  apiS.push(a.s); internalS.push(b.s); apiCpu.push(a.cpu); internalCpu.push(b.cpu);
  const c = identical(a.weights, b.weights);
  const scalars = Object.is(a.trainErr, b.trainErr) && Object.is(a.testErr, b.testErr) && Object.is(a.feasVio, b.feasVio) && a.sweeps === b.sweeps && a.T1 === b.T1;
  check = { identical: check.identical && c.identical, maxAbsDiff: Math.max(check.maxAbsDiff, c.maxAbsDiff), scalars: check.scalars && scalars };
  lastApi = a;
}
const trainRatio = median(apiS) / median(internalS);
const training = {
  problem: `sp500 (loadDataset), T1=${T1}, r=${sp.hidden}, outer ${OUTER} × inner ${INNER}, tau ${sp.params.tau}, standardize whole, init normal-1e-1 seed 1, wasm kernels, workers 0`,
  runs: TRAIN_RUNS, sweeps: lastApi!.sweeps, trainErr: lastApi!.trainErr, testErr: lastApi!.testErr,
  apiMedianS: round(median(apiS)), internalMedianS: round(median(internalS)), ratio: round(trainRatio, 3),
  apiS: apiS.map((x) => round(x)), internalS: internalS.map((x) => round(x)),
  apiCpuMedianS: round(median(apiCpu)), internalCpuMedianS: round(median(internalCpu)), cpuRatio: round(median(apiCpu) / median(internalCpu), 3),
  apiCpuS: apiCpu.map((x) => round(x)), internalCpuS: internalCpu.map((x) => round(x)),
  bitIdentical: check.identical && check.scalars, weightsMaxAbsDiff: check.maxAbsDiff,
  target: 'equal within noise',
};
// "Within noise": the medians differ by less than the larger of the two runs' spreads (max − min) and by < 5 %.
const spread = Math.max(Math.max(...apiS) - Math.min(...apiS), Math.max(...internalS) - Math.min(...internalS));
const trainingVerdict = { pass: Math.abs(median(apiS) - median(internalS)) <= Math.max(spread, 0.05 * median(internalS)), spreadS: round(spread) };
Object.assign(training, trainingVerdict);
console.log(`training: API ${training.apiMedianS} s, internal ${training.internalMedianS} s, ×${training.ratio}; bit-identical: ${training.bitIdentical}`);

packed.remove();
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30, 1),
  node: process.version, npm: execSync('npm --version', { encoding: 'utf8' }).trim(), platform: `${process.platform} ${process.arch}`,
  loadavgStart: load0.map((x) => round(x, 2)), loadavgEnd: loadavg().map((x) => round(x, 2)),
};
const command = 'node bin/build.mjs && node bin/run-ts.mjs bench/package.ts --out ' + OUT;
const results = {
  format: 'alm-rnn/bench-package@1', date: new Date().toISOString(), commit: git('rev-parse HEAD'), dirty: git('status --porcelain') !== '',
  command, machine, seconds: round((performance.now() - started) / 1000, 1),
  startup, pool, sizes, bundles, training,
};

const yes = (b: unknown): string => (b ? 'met' : '**missed**');
const md = `# The installable package

\`bench/package.ts\`: the repository packed (\`npm pack\`) and installed offline into an empty
consumer project, measured in one run (${results.seconds} s).

    ${command}

Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}, npm ${machine.npm};
load average ${machine.loadavgStart.join(' / ')} at the start, ${machine.loadavgEnd.join(' / ')} at the end (a shared machine: other jobs ran).
Commit ${results.commit}${results.dirty ? ' (with uncommitted changes: this script)' : ''}, ${results.date}.

## Verdicts

| target | measured | verdict |
|---|---|---|
| \`alm-rnn --version\` ≤ 1.5 × \`node -e 0\` | ×${startup.ratio} (${startup.cliMedianMs} ms against ${startup.nodeMedianMs} ms) | ${yes(startup.pass)} |
| CPU pool of 2 threads ready < 0.3 s (built package) | ${pool.distMedianS} s | ${yes(pool.pass)} |
| tarball < 1 MB | ${MB(tarBytes)} (${tarFiles} files) | ${yes(sizes.tarball.pass)} |
| installed node_modules < 5 MB | ${MB(installed.bytes)} (${installed.files} files) | ${yes(sizes.installed.pass)} |
| the apps bundle for the browser with esbuild, no configuration | ${bundles.plainBuild.ok ? 'yes' : `no: ${[...new Set([...plain.main, ...plain.withDatasets, ...plain.worker])].join('; ')}`} | ${yes(bundles.plainBuild.ok)} |
| browser bundle < 60 kB gzip, no data sets${EXTERNAL.length ? ' (measured with node:* external)' : ''} | ${kB(b1.gzip)} gzip, RV_SP500 ${b1.text.includes('RV_SP500') ? 'present' : 'absent'} | ${yes(bundles.main.pass)} |
| public API as fast as the internal path | wall ×${training.ratio} (${training.apiMedianS} s against ${training.internalMedianS} s; spread ${trainingVerdict.spreadS} s), CPU ×${training.cpuRatio}; results ${training.bitIdentical ? 'bit-identical' : '**not** bit-identical'} | ${trainingVerdict.pass && trainingVerdict.spreadS > 0.2 * training.internalMedianS ? 'met only within a large noise (spread > 20 % of the median): inconclusive' : yes(trainingVerdict.pass)} |

## 1. CLI start-up (${VERSION_RUNS} runs each, interleaved, wall time of the process)

| command | median ms |
|---|---|
| \`node -e 0\` | ${startup.nodeMedianMs} |
| \`node node_modules/alm-rnn/bin/alm-rnn.mjs --version\` (prints \`${versionOut}\`) | ${startup.cliMedianMs} |
| ratio | ×${startup.ratio} |

## 2. CPU pool of 2 worker threads ready to sweep (${POOL_RUNS} fresh processes each, interleaved)

Problem: ${pool.problem}. Import of the modules not counted (except for the public API row, whose
timer starts at the call).

| path | median s |
|---|---|
| installed package: \`new CpuPoolBackend(2)\` → end of first \`load()\` | ${pool.distMedianS} |
| installed package, public API: \`trainGrid\` (2 seeds, \`workers: 2\`) → first \`onSweeps\` | ${pool.apiMedianS} |
| TypeScript sources (tsx registered in each thread): \`new CpuPoolBackend(2)\` → end of first \`load()\` | ${pool.sourceMedianS} |

The first sweep after the load took ${(pool.firstSweepMedianS * 1000).toFixed(2)} ms (median).

## 3. Sizes

| what | bytes | files |
|---|---|---|
| tarball (\`npm pack\`) | ${tarBytes} (${MB(tarBytes)}) | ${tarFiles} |
| consumer's node_modules after \`npm install <tarball> --offline\` | ${installed.bytes} (${MB(installed.bytes)}) | ${installed.files} |
| the optional \`webgpu\` peer (Dawn), for information | ${webgpu.bytes} (${MB(webgpu.bytes)}) | ${webgpu.files} |
| package + \`webgpu\` | ${sizes.webgpuPeer.withPackage} (${MB(sizes.webgpuPeer.withPackage)}) | |

The consumer's node_modules holds: ${installedEntries.join(', ')} (no dependencies installed; optional peers are not installed by npm).
The \`webgpu\` row is ${sizes.webgpuPeer.note}; its own dependencies: ${webgpuDeps.length ? webgpuDeps.join(', ') : 'none'}. Sizes are apparent file sizes (symbolic links not followed).

## 4. Browser bundles (${bundles.note})

| bundle | raw | gzip | contains \`RV_SP500\` |
|---|---|---|---|
| app: \`import { train, Model } from 'alm-rnn'\`, backends cpu and webgpu | ${b1.raw} (${kB(b1.raw)}) | ${b1.gzip} (${kB(b1.gzip)}) | ${bundles.main.containsRV_SP500 ? 'yes' : 'no'} |
| app + \`loadDataset\` from \`alm-rnn/datasets\` | ${b2.raw} (${kB(b2.raw)}) | ${b2.gzip} (${kB(b2.gzip)}) | ${bundles.withDatasets.containsRV_SP500 ? 'yes' : 'no'} |
| difference | ${bundles.withDatasets.deltaRaw} (${kB(bundles.withDatasets.deltaRaw)}) | ${bundles.withDatasets.deltaGzip} (${kB(bundles.withDatasets.deltaGzip)}) | |
| CPU pool's Web Worker (\`dist/backends/cpu/web-pool-worker.js\`, bundled apart) | ${bw.raw} (${kB(bw.raw)}) | ${bw.gzip} (${kB(bw.gzip)}) | |

${bundles.plainBuild.ok ? 'The apps and the worker bundle without any configuration.' : `**Without configuration esbuild refuses the browser build**: ${[...new Set([...plain.main, ...plain.withDatasets, ...plain.worker])].join('; ')} (dynamic \`import()\`s of Node built-ins in \`writeTfjsModel\`, which the browser entry never calls, in a module it reaches through \`Model\`; errors in main app: ${plain.main.length}, with data sets: ${plain.withDatasets.length}, worker: ${plain.worker.length}). The sizes above are measured with \`external: ['node:*']\`, which leaves those imports in the bundle unresolved (Vite instead replaces them with empty modules and warns); the browser entry never executes them.`}

The bundled CSV files in the repository total ${csvBytes} bytes (${kB(csvBytes)}).
esbuild leaves \`new URL('./web-pool-worker.js', import.meta.url)\` as it is (${workerUrlKept ? 'found in the main bundle' : '**not found** in the main bundle'}): an app serves the worker bundle under that name beside its main bundle.
${b1.warnings.length ? `esbuild warnings (main): ${b1.warnings.join('; ')}` : 'No esbuild warnings.'}

## 5. Training: public API against the internal path (${TRAIN_RUNS} runs each, interleaved, after one warm-up each)

Problem: ${training.problem}. Public API: \`train({ ...loadDataset('sp500'), params: { tau, outer: ${OUTER}, inner: ${INNER} }, backend: 'cpu', workers: 0 })\`;
internal: \`runAlm(createCpuBackend('wasm'), problem, params, initial)\` with the Problem built as the API builds it (standardize 'whole', the same T1, initial weights from \`initSeed(1)\`). Both timers include creating the backend; the API's also includes the option checks and standardisation.

| path | median wall s | wall runs (s) | median CPU s (this process) | CPU runs (s) |
|---|---|---|---|---|
| public API | ${training.apiMedianS} | ${training.apiS.join(', ')} | ${training.apiCpuMedianS} | ${training.apiCpuS.join(', ')} |
| internal | ${training.internalMedianS} | ${training.internalS.join(', ')} | ${training.internalCpuMedianS} | ${training.internalCpuS.join(', ')} |
| ratio | ×${training.ratio} | | ×${training.cpuRatio} | |

The verdict is on wall time: the medians differ by less than the larger spread (max − min) of the two paths' runs, or by < 5 %. CPU time (one thread computes) is beside it because on a shared machine wall time mostly measures the other jobs.

${training.sweeps} sweeps; TrainErr ${training.trainErr}, TestErr ${training.testErr}. Results ${training.bitIdentical ? 'bit-identical in every run (weights, TrainErr, TestErr, FeasVio, sweeps)' : `**not bit-identical** (max |Δw| ${training.weightsMaxAbsDiff})`}.
`;
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(join(OUT, 'README.md'), md);
console.log(`\n${md}\nwrote ${join(OUT, 'README.md')} and results.json`);
