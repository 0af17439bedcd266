// Messages between the benchmark page and its worker.
import type { BenchReport } from '../../bench/harness/types.ts';

/** Page → worker: run the harness with these command-line style arguments. */
export interface RunRequest {
  type: 'run';
  args: string[];
}

/** Worker → page. */
export type FromBenchWorker =
  | { type: 'log'; line: string }
  | { type: 'done'; report: BenchReport }
  | { type: 'error'; message: string };
