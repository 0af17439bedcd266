// Memory a training run needs, estimated from its shape (r, n, m, T) before anything is
// allocated, so that `--hidden 100000` is refused with the estimate instead of a RangeError
// from a typed array minutes later. Runs in Node and in the browser (no static node: imports).
import { UserInputError } from '../errors.ts';

/** The shape that sizes a run: training steps T, inputs n, targets m, hidden units r. */
export interface RunShape {
  /** Training steps. */
  T: number;
  /** Inputs. */
  n: number;
  /** Targets. */
  m: number;
  /** Hidden units. */
  r: number;
}

/** An estimate: total bytes, and the longest single array (values), which a typed array caps. */
export interface MemoryEstimate {
  /** Bytes in all. */
  bytes: number;
  /** Values in the longest single array. */
  largestArray: number;
}

/** Most elements one typed array may hold in V8 (Node 20, Chrome): 2³² − 1. */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32 - 1;

/**
 * What every front end holds in float64 whatever the backend: the weights (W is r×r), the
 * forward pass's hidden states and predictions over the series for TrainErr/TestErr, and the
 * state read back for checkpoints (h, u, ξ, ζ).
 */
export function estimateHostMemory({ T, n, m, r }: RunShape): MemoryEstimate {
  const weights = r * r + r * n + r + m * r + m;
  const values = 3 * weights + T * (n + m) + T * (r + m) + 4 * T * r;
  return { bytes: 8 * values, largestArray: Math.max(r * r, T * r) };
}

/**
 * The float64 CPU backend's working set (cpu-trial.ts load): with K = r + n + 1, the K×K w-block
 * system and its T×K data, the r×r h-block systems, and about twenty r×T series (state,
 * multipliers, right-hand sides, the snapshot of s^0), on top of the host part.
 */
export function estimateCpuMemory(shape: RunShape): MemoryEstimate {
  const { T, n, m, r } = shape;
  const K = r + n + 1;
  const values = K * K + 2 * r * K + T * K + (r + 1) * (r + 1) + T * (r + 1) + m * (r + 1) + 4 * r * r + r * m
    + 13 * r * T + 4 * r * T + n * T + m * T + n * n;
  const host = estimateHostMemory(shape);
  return { bytes: 8 * values + host.bytes, largestArray: Math.max(K * K, T * K, host.largestArray) };
}

/** Bytes as "1.5 GB" (powers of 1000, as disk and memory sizes are usually read). */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes / 1e3;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toPrecision(3)} ${units[i]}`;
}

/**
 * Memory this environment can give a run: Node's total memory, the browser's
 * navigator.deviceMemory (GiB, rounded down and capped by the browser), or undefined.
 */
export function availableMemory(): number | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { totalmem(): number } | undefined;
  if (os) return os.totalmem();
  const deviceMemory = (globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory;
  return typeof deviceMemory === 'number' && deviceMemory > 0 ? deviceMemory * 2 ** 30 : undefined;
}

/**
 * Refuses a run whose estimate cannot fit: an array longer than a typed array may be, or more
 * bytes than `available` (default: availableMemory()). `what` names the part, e.g. "the float64
 * CPU backend"; the message has the shape, the estimate and what to lower.
 */
export function checkMemory(shape: RunShape, estimate: MemoryEstimate, what: string, available = availableMemory()): void {
  const { T, n, m, r } = shape;
  const head = `r=${r} hidden units with n=${n} inputs, m=${m} targets and T=${T} training steps need about ${formatBytes(estimate.bytes)} for ${what}`;
  const advice = 'lower --hidden (r), or train on a shorter series';
  if (estimate.largestArray > MAX_TYPED_ARRAY_LENGTH) {
    throw new UserInputError(`${head}, and one array of ${estimate.largestArray.toExponential(2)} values, more than the ${MAX_TYPED_ARRAY_LENGTH} an array can hold: ${advice}`);
  }
  if (available !== undefined && estimate.bytes > available) {
    throw new UserInputError(`${head}, more than the ${formatBytes(available)} of memory here: ${advice}`);
  }
}
