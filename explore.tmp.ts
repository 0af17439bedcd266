import { runAlm } from './src/alm/alm.ts';
import { paramsFor } from './src/alm/params.ts';
import { createCpuBackend } from './src/backends/cpu/cpu-backend.ts';
import { validationProblem } from './src/problem/validation.ts';
import { initializeWeights } from './src/problem/init.ts';
import { Rng } from './src/problem/rng.ts';
import type { Problem } from './src/problem/types.ts';

function noisySeries(T: number, seed: number) {
  const rng = new Rng(seed);
  const n = 1, m = 1;
  const x = new Float64Array(T), y = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    x[t] = Math.sin(t / 3) + 0.5 * rng.normal();
    y[t] = Math.sin((t + 1) / 3) + 0.5 * rng.normal();
  }
  return { T, n, m, x, y, inputNames: ['x'], targetNames: ['y'] };
}
async function main() {
const [r, tau, outer, inner, T] = process.argv.slice(2).map(Number);
const problem: Problem = { name: 'overfit', series: noisySeries(T, 7), T1: T - 10, r, activation: { kind: 'relu' } };
const params = { ...paramsFor('synthetic-small', { tau }), outer, inner, checkEvery: inner, innerStop: 'cap' as const };
const initial = initializeWeights('normal-1e-1', r, 1, 1, new Rng(3));
const fit = validationProblem(problem, 5);
const t0 = performance.now();
const res = await runAlm(createCpuBackend(), fit, params, initial);
console.log(((performance.now()-t0)/1000).toFixed(2), 's');
const v = res.history.map((h) => h.testErr); const am = v.indexOf(Math.min(...v)); console.log(v.map((x,i)=>(i+1)+":"+x.toExponential(2)).join(" ")); console.log("argmin", am + 1, v[am].toExponential(2), "last", v[v.length-1].toExponential(2), "train", res.history.map(h=>h.trainErr.toExponential(1)).filter((_,i)=>i%5==4).join(" "));
}
main();
