// The benchmark page's worker: runs the shared harness (bench/harness/) off the page's thread,
// on the CPU backend and on WebGPU through this worker's navigator.gpu (acquireGpu).
import { UserInputError } from 'alm-rnn';
import { fallbackBaseline } from '../../bench/harness/end-to-end.ts';
import { openBenchGpu } from '../../bench/harness/gpu.ts';
import { parseBenchArgs } from '../../bench/harness/options.ts';
import { runHarness } from '../../bench/harness/run.ts';
import type { FromBenchWorker, RunRequest } from './protocol.ts';

const post = (m: FromBenchWorker): void => (self as unknown as Worker).postMessage(m);

self.onmessage = async (ev: MessageEvent<RunRequest>) => {
  if (ev.data?.type !== 'run') return;
  try {
    const args = parseBenchArgs(ev.data.args);
    const nav = navigator as Navigator & { deviceMemory?: number };
    const report = await runHarness(
      { ...args.harness, command: `bench.html ${ev.data.args.join(' ')}`.trim() },
      {
        machine: {
          runtime: 'browser (worker)',
          userAgent: nav.userAgent,
          cores: nav.hardwareConcurrency,
          ...(nav.deviceMemory !== undefined ? { memoryGiB: nav.deviceMemory } : {}),
        },
        openGpu: () => openBenchGpu(() => `browser: ${nav.userAgent}`),
        baselineFor: fallbackBaseline,
        log: (line) => post({ type: 'log', line }),
      },
    );
    post({ type: 'done', report });
  } catch (e) {
    post({ type: 'error', message: e instanceof UserInputError ? e.message : `${(e as Error).name}: ${(e as Error).message}` });
  }
};
