// The shard examples in deploy/ cannot run here (no container runtime, cluster or CI service),
// so this checks what can be checked: each declares one shard count, and merge is told the
// same; the experiment flags they pass are flags the CLI documents; the Dockerfile copies
// folders that exist.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const text = (name: string): string => readFileSync(`${root}deploy/${name}`, 'utf8');

describe('deploy/ examples', () => {
  it('the Kubernetes Indexed Job runs as many shards as it tells the CLI', () => {
    const y = text('kubernetes-indexed-job.yaml');
    const completions = Number(/^\s+completions: (\d+)$/m.exec(y)?.[1]);
    expect(completions).toBeGreaterThan(1);
    expect(y).toMatch(/completionMode: Indexed/);
    const counts = [...y.matchAll(/--shard-count (\d+)/g)].map((m) => Number(m[1]));
    expect(counts.length).toBeGreaterThan(0);
    expect(new Set(counts)).toEqual(new Set([completions]));
    const merged = /experiment merge \S+ (.*)$/m.exec(y)?.[1] ?? '';
    expect(merged).toContain(`shard-${completions - 1}`);
  });

  it('the Slurm array and the GitHub Actions matrix have one task per shard', () => {
    const slurm = text('slurm-array.sh');
    const [, lo, hi] = /#SBATCH --array=(\d+)-(\d+)/.exec(slurm)!;
    expect(Number(hi) - Number(lo) + 1).toBe(6);
    const gha = text('github-actions-shards.yml');
    const shards = /shard: \[([\d, ]+)\]/.exec(gha)![1].split(',').map(Number);
    expect(shards).toEqual([0, 1, 2, 3, 4, 5]);
    expect(gha).toContain(`--shard \${{ matrix.shard }}/${shards.length}`);
  });

  it('passes only flags that `alm-rnn experiment` documents, and copies folders that exist', async () => {
    const help = (await runCli(['experiment', '--help'])).stdout;
    const all = ['kubernetes-indexed-job.yaml', 'slurm-array.sh', 'github-actions-shards.yml'].map(text).join('\n');
    const flags = new Set([...all.matchAll(/alm-rnn\.mjs experiment ([^;\n]*)/g)].flatMap((m) => [...m[1].matchAll(/(--[a-z-]+)/g)].map((f) => f[1])));
    expect(flags.size).toBeGreaterThan(3);
    for (const flag of flags) expect(help, flag).toContain(flag);
    expect(help).toContain('merge OUT DIR...');
    for (const [, path] of text('Dockerfile').matchAll(/^COPY (\S+) /gm)) {
      for (const p of path.split(' ')) expect(existsSync(`${root}${p}`), p).toBe(true);
    }
  });
});
