// The batched-trials benchmark (bench/harness/trials.ts): batch sizes parsed, every point
// measured or skipped with its reason, and the report's table and plot.
import { describe, expect, it } from 'vitest';
import { CpuPoolBackend } from '../../src/backends/cpu/pool.ts';
import { UserInputError } from '../../src/errors.ts';
import { parseTrialSizes, renderTrialsMarkdown, renderTrialsPlot, runTrialsBench, type TrialsReport } from '../../bench/harness/trials.ts';

describe('bench --trials', () => {
  it('parses batch sizes, sorted and without repeats, and refuses what is not one', () => {
    expect(parseTrialSizes('8,1,2-4,2')).toEqual([1, 2, 3, 4, 8]);
    for (const bad of ['0', 'x', '1.5', '', '3-1x']) expect(() => parseTrialSizes(bad), bad).toThrow(UserInputError);
  });

  it('measures each (backend, B) point, skips B once a batched sweep exceeds the point budget, and reports it', async () => {
    const lines: string[] = [];
    const backends = [1, 2].map((t) => ({ label: `cpu ×${t}`, kind: 'cpu' as const, threads: t, create: async () => new CpuPoolBackend(t) }));
    const points = await runTrialsBench({ trials: [1, 3], shapes: ['synthetic-small'], backends, seconds: 0.2, maxPointSeconds: 30, log: (l) => lines.push(l) });
    expect(points).toHaveLength(4);
    for (const p of points) {
      expect(p.status, p.note).toBe('ok');
      expect(p.trialSweepsPerSecond).toBeCloseTo((p.B * 1000) / p.msPerBatchedSweep!, 6);
      expect(p.sweeps).toBeGreaterThan(0);
    }
    const skipped = await runTrialsBench({ trials: [1, 2], shapes: ['synthetic-small'], backends: backends.slice(0, 1), seconds: 0.1, maxPointSeconds: 1e-9, log: () => {} });
    expect(skipped.map((p) => p.status)).toEqual(['skipped', 'skipped']);
    expect(skipped[1].note).toContain('over the point budget');

    const rep: TrialsReport = { format: 'alm-rnn/bench-trials@1', command: 'npm run bench -- --trials 1,3', date: new Date().toISOString(), machine: { cpu: 'test cpu', cores: 2 }, seconds: 0.2, points: [...points], notes: ['a note'] };
    const md = renderTrialsMarkdown(rep);
    expect(md).toContain('## synthetic-small (r=4, n=5, m=3, T=9)');
    expect(md).toMatch(/^\| 3 \| [\d.e+]+ ×[\d.]+ \([\d.e+]+ ms\) \| [\d.e+]+ ×[\d.]+ \([\d.e+]+ ms\) \|$/m);
    expect(md).toMatch(/CPU pool of 2 threads against one thread, same B: B=1: ×[\d.]+, B=3: ×[\d.]+/);
    expect(md).toContain('- a note');
    expect(await renderTrialsPlot(rep)).toContain('<svg');
  });
});
