// Shards of an experiment across machines: shard i of N owns a deterministic, disjoint set of
// cells (method × initialisation, with their selections and every repeat), so no shard waits
// for another; `alm-rnn experiment merge` combines complete shard folders into the results an
// unsharded run gives. The index and count come from --shard i/N or from the job array of the
// engine that runs the shards (Kubernetes Indexed Jobs, Slurm arrays, AWS Batch arrays).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { excerpt, UserInputError } from '../errors.ts';
import type { Initializer } from '../problem/init.ts';
import { EXPERIMENT_FILES_RESULTS, readResults, runKey, selectionKey, sortRecords, type ExperimentResults } from './results.ts';
import type { ExperimentMethod, ExperimentSpec } from './settings.ts';

/** One shard: 0-based index, of count. */
export interface Shard {
  /** 0-based index of this shard, below count. */
  index: number;
  /** How many shards the experiment is split into. */
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
  /** The shard the job array assigns. */
  shard: Shard;
  /** The variables it came from, e.g. "SLURM_ARRAY_TASK_ID=3 (Slurm, from 1), count 4". */
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

/** The methods whose hyperparameters are selected on validation: all but the ALM when its τ grid is empty (the paper's fixed τ). */
export function selectedMethods(spec: Pick<ExperimentSpec, 'methods' | 'selection'>): ExperimentMethod[] {
  return spec.methods.filter((m) => m !== 'alm' || (spec.selection.almTauGrid ?? []).length > 0);
}

/** What a shard of the spec holds: its cells ("method/init"), and the keys of its selection and run records, in the spec's order. */
export function shardPlan(spec: ExperimentSpec, shard: Shard | undefined): { cells: string[]; selections: string[]; runs: string[] } {
  const owned = spec.methods.flatMap((method) => spec.inits.filter((init) => ownsCell(spec, shard, method, init)).map((init) => ({ method, init })));
  const selected = selectedMethods(spec);
  return {
    cells: owned.map((c) => selectionKey(c.method, c.init)),
    selections: owned.filter((c) => selected.includes(c.method)).map((c) => selectionKey(c.method, c.init)),
    runs: owned.flatMap((c) => Array.from({ length: spec.repeats }, (_, repeat) => runKey(c.method, c.init, repeat))),
  };
}

/** The line that says which shard runs and what it holds, or that it holds nothing and why. */
export function describeShard(spec: ExperimentSpec, shard: Shard): string {
  const plan = shardPlan(spec, shard);
  const total = spec.methods.length * spec.inits.length;
  const name = `shard ${shard.index}/${shard.count}`;
  if (plan.cells.length === 0) {
    return `${name} holds none of this experiment's ${total} cells (method × initialisation), as does every shard from ${total}/${shard.count} on: `
      + `it writes an empty shard for merge; --shard-count ${total} or fewer gives every shard work`;
  }
  const s = (n: number): string => (n === 1 ? '' : 's');
  return `${name}: ${plan.cells.length} of ${total} cells (${plan.cells.join(', ')}), ${plan.selections.length} selection${s(plan.selections.length)}, ${plan.runs.length} run${s(plan.runs.length)}`;
}

/**
 * What a complete shard records that it holds (in results.json, under "shard"), so that merge
 * can tell its records from ones removed, added, duplicated or edited since: a digest guards
 * against mistakes and damage, not against someone who recomputes it.
 */
export interface ShardContents {
  /** Its cells, "method/init". */
  cells: string[];
  /** How many selection records it holds. */
  selections: number;
  /** How many run records it holds. */
  runs: number;
  /** sha256 (hex) of the canonical JSON of each record (recordDigest), by the record's key. */
  digests: {
    /** The selection records', by "method/init". */
    selections: Record<string, string>;
    /** The run records', by "method/init/repeat". */
    runs: Record<string, string>;
  };
}

/** JSON with every object's keys sorted, absent fields left out: the same text for the same record, however it was written and read back. */
function canonicalJson(value: unknown): string {
  // Non-finite numbers become null, as results.json writes records.
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
  });
}

/** The sha256 (hex) of a record's canonical JSON. */
export function recordDigest(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

/** What a shard's results hold now: its cells, counts and the digest of every record (written when the shard completes). */
export function shardContents(results: ExperimentResults, shard: Shard): ShardContents {
  const digests = (records: { key: string }[]): Record<string, string> => Object.fromEntries(records.map((r) => [r.key, recordDigest(r)]));
  return {
    cells: shardPlan(results.spec, shard).cells,
    selections: results.selections.length,
    runs: results.runs.length,
    digests: { selections: digests(results.selections), runs: digests(results.runs) },
  };
}

/**
 * Proves a complete shard holds exactly what the spec gives it, as it wrote it: its recorded
 * cells and counts are the spec's, and every expected selection and run record is there once,
 * with the digest recorded when the shard completed. Throws a UserInputError naming the first
 * record missing, extra, duplicated or altered.
 */
function checkShardContents(dir: string, results: ExperimentResults, shard: Shard): void {
  const label = `shard ${shard.index}/${shard.count} in ${dir}`;
  const contents = results.shard?.contents;
  if (!contents) {
    throw new UserInputError(`${label} has no digests of its records (written by an alm-rnn before merge checked them): rerun the shard, or record them as they are with alm-rnn experiment --resume ${dir}`);
  }
  const isDigests = (d: unknown): boolean => typeof d === 'object' && d !== null && Object.values(d).every((x) => typeof x === 'string');
  if (!Array.isArray(contents.cells) || typeof contents.digests !== 'object' || contents.digests === null
    || !isDigests(contents.digests.selections) || !isDigests(contents.digests.runs)) {
    throw new UserInputError(`${label}: its record of what it holds ("shard.contents" in results.json) is malformed: rerun the shard`);
  }
  const plan = shardPlan(results.spec, shard);
  if (canonicalJson(contents.cells) !== canonicalJson(plan.cells)) {
    throw new UserInputError(`${label} records the cells ${contents.cells.join(', ') || 'none'}, but shard ${shard.index}/${shard.count} of this experiment holds ${plan.cells.join(', ') || 'none'}: its results.json was edited; rerun the shard`);
  }
  const kinds = [
    { kind: 'selection', records: results.selections, expected: plan.selections, count: contents.selections, digests: contents.digests.selections },
    { kind: 'run', records: results.runs, expected: plan.runs, count: contents.runs, digests: contents.digests.runs },
  ] as const;
  for (const { kind, records, expected, count, digests } of kinds) {
    if (count !== expected.length || Object.keys(digests).length !== expected.length) {
      throw new UserInputError(`${label} records ${count} ${kind}s, but its cells hold ${expected.length}: its results.json was edited; rerun the shard`);
    }
    const wanted = new Set(expected);
    const seen = new Set<string>();
    for (const record of records) {
      const key = String(record.key);
      if (!wanted.has(key)) {
        const owner = Array.from({ length: shard.count }, (_, index) => index).find((index) => shardPlan(results.spec, { index, count: shard.count })[`${kind}s`].includes(key));
        throw new UserInputError(`${label} holds the ${kind} ${key}, which ${owner !== undefined ? `belongs to shard ${owner}/${shard.count}` : 'is not part of this experiment'}: remove it, or rerun the shard`);
      }
      if (seen.has(key)) throw new UserInputError(`${label} holds the ${kind} ${key} twice: rerun the shard`);
      seen.add(key);
      if (recordDigest(record) !== digests[key]) {
        throw new UserInputError(`${label}: the ${kind} ${key} differs from the one the shard recorded when it completed (its digest does not match: edited or damaged); rerun the shard`);
      }
    }
    const missing = expected.filter((key) => !seen.has(key));
    if (missing.length > 0) {
      throw new UserInputError(`${label} lacks the ${kind}${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (recorded when it completed, removed since): rerun the shard`);
    }
  }
}

/** The spec without what may differ between shards of one experiment (nothing, today): the comparison key. */
function specKey(spec: ExperimentSpec): string {
  return JSON.stringify(spec);
}

/**
 * Combines complete shard folders into the results of the whole experiment: the same
 * selections and runs, in the order an unsharded run writes them. Refuses a folder that is
 * not a shard, shards of different experiments or counts, a shard given twice, a missing one
 * (named), one that is not complete, and one whose records are not exactly those its spec
 * gives it as it recorded them on completion (checkShardContents).
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
    checkShardContents(p.dir, p.results, s);
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
