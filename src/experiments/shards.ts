// Shards of an experiment across machines: shard i of N owns a deterministic, disjoint set of
// cells (method × initialisation, with their selections and every repeat), so no shard waits
// for another; `alm-rnn experiment merge` combines complete shard folders into the results an
// unsharded run gives. The index and count come from --shard i/N or from the job array of the
// engine that runs the shards (Kubernetes Indexed Jobs, Slurm arrays, AWS Batch arrays).
import { join } from 'node:path';
import { excerpt, UserInputError } from '../errors.ts';
import type { Initializer } from '../problem/init.ts';
import { EXPERIMENT_FILES_RESULTS, readResults, sortRecords, type ExperimentResults } from './results.ts';
import type { ExperimentMethod, ExperimentSpec } from './settings.ts';

/** One shard: 0-based index, of count. */
export interface Shard {
  index: number;
  count: number;
}

/** "1/3" → { index: 1, count: 3 } (0-based: the shards of 3 are 0/3, 1/3, 2/3). */
export function parseShard(text: string, flag = '--shard'): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index < count)) {
    throw new UserInputError(`${flag} must be i/N with 0 ≤ i < N (0-based: the shards of 3 are 0/3, 1/3, 2/3), got "${excerpt(text)}"`);
  }
  return { index, count };
}

/** Where the shard came from, for the log. */
export interface ShardSource {
  shard: Shard;
  source: string;
}

function integerVar(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new UserInputError(`the environment variable ${name} must be an integer ≥ 0, got "${excerpt(raw)}"`);
  return v;
}

/**
 * The shard a job array assigns to this process: Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX,
 * with the count from `count`, i.e. --shard-count, as Kubernetes does not export it), Slurm job
 * arrays (SLURM_ARRAY_TASK_ID counted from SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT) or AWS
 * Batch array jobs (AWS_BATCH_JOB_ARRAY_INDEX, AWS_BATCH_JOB_ARRAY_SIZE); undefined when none is set.
 */
export function shardFromEnvironment(env: Record<string, string | undefined>, count?: number): ShardSource | undefined {
  const check = (shard: Shard, source: string): ShardSource => {
    if (!(shard.count >= 1 && shard.index < shard.count)) {
      throw new UserInputError(`${source} gives shard ${shard.index} of ${shard.count}: the index must be below the count`);
    }
    return { shard, source };
  };
  const k8s = integerVar(env, 'JOB_COMPLETION_INDEX');
  if (k8s !== undefined) {
    if (count === undefined) throw new UserInputError('JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job): give the job\'s completions as --shard-count N');
    return check({ index: k8s, count }, `JOB_COMPLETION_INDEX=${k8s} (Kubernetes), --shard-count ${count}`);
  }
  const slurm = integerVar(env, 'SLURM_ARRAY_TASK_ID');
  if (slurm !== undefined) {
    const min = integerVar(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const n = count ?? integerVar(env, 'SLURM_ARRAY_TASK_COUNT');
    if (n === undefined) throw new UserInputError('SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give --shard-count N');
    return check({ index: slurm - min, count: n }, `SLURM_ARRAY_TASK_ID=${slurm} (Slurm, from ${min}), count ${n}`);
  }
  const aws = integerVar(env, 'AWS_BATCH_JOB_ARRAY_INDEX');
  if (aws !== undefined) {
    const n = count ?? integerVar(env, 'AWS_BATCH_JOB_ARRAY_SIZE');
    if (n === undefined) throw new UserInputError('AWS_BATCH_JOB_ARRAY_INDEX is set but not AWS_BATCH_JOB_ARRAY_SIZE: give --shard-count N');
    return check({ index: aws, count: n }, `AWS_BATCH_JOB_ARRAY_INDEX=${aws} (AWS Batch), size ${n}`);
  }
  return undefined;
}

/** Whether `shard` owns the cell (method, init): cells are numbered method-major, dealt round-robin. */
export function ownsCell(spec: Pick<ExperimentSpec, 'methods' | 'inits'>, shard: Shard | undefined, method: ExperimentMethod, init: Initializer): boolean {
  if (!shard) return true;
  const cell = spec.methods.indexOf(method) * spec.inits.length + spec.inits.indexOf(init);
  return cell % shard.count === shard.index;
}

/** The spec without what may differ between shards of one experiment (nothing, today): the comparison key. */
function specKey(spec: ExperimentSpec): string {
  return JSON.stringify(spec);
}

/**
 * Combines complete shard folders into the results of the whole experiment: the same
 * selections and runs, in the order an unsharded run writes them. Refuses a folder that is
 * not a shard, shards of different experiments or counts, a shard given twice, a missing one
 * (named), and one that is not complete.
 */
export function mergeShards(dirs: readonly string[]): ExperimentResults {
  if (dirs.length === 0) throw new UserInputError('experiment merge needs the shard folders to merge');
  const parts = dirs.map((dir) => ({ dir, results: readResults(join(dir, EXPERIMENT_FILES_RESULTS)) }));
  const first = parts[0];
  const shardOf = (p: typeof first): Shard => {
    if (!p.results.shard) throw new UserInputError(`${p.dir} holds an unsharded experiment, not a shard (run shards with --shard i/N)`);
    return p.results.shard;
  };
  const count = shardOf(first).count;
  const seen = new Map<number, string>();
  for (const p of parts) {
    const s = shardOf(p);
    if (s.count !== count) throw new UserInputError(`${p.dir} is shard ${s.index}/${s.count}, but ${first.dir} is one of ${count}: shards of one experiment share their count`);
    if (specKey(p.results.spec) !== specKey(first.results.spec)) {
      throw new UserInputError(`${p.dir} is a shard of a different experiment than ${first.dir} (their specs differ): merge the shards of one experiment`);
    }
    if (seen.has(s.index)) throw new UserInputError(`shard ${s.index}/${count} is given twice: ${seen.get(s.index)} and ${p.dir}`);
    seen.set(s.index, p.dir);
    if (p.results.status !== 'complete') throw new UserInputError(`shard ${s.index}/${count} in ${p.dir} is not complete (${p.results.status}): finish it with alm-rnn experiment --resume ${p.dir}`);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new UserInputError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing: merge needs all ${count}`);

  const byIndex = [...parts].sort((a, b) => shardOf(a).index - shardOf(b).index);
  const { shard: _shard, ...head } = byIndex[0].results;
  const merged: ExperimentResults = {
    ...head,
    commands: byIndex.flatMap((p) => p.results.commands),
    backend: [...new Set(byIndex.map((p) => p.results.backend))].join('; '),
    status: 'complete',
    started: byIndex.map((p) => p.results.started).sort()[0],
    updated: byIndex.map((p) => p.results.updated).sort().at(-1)!,
    // The shards ran side by side: the experiment took as long as the longest.
    wallSeconds: Math.max(0, ...byIndex.map((p) => p.results.wallSeconds ?? 0)),
    almBatches: byIndex.flatMap((p) => p.results.almBatches ?? []),
    selections: parts.flatMap((p) => p.results.selections),
    runs: parts.flatMap((p) => p.results.runs),
  };
  sortRecords(merged);
  return merged;
}
