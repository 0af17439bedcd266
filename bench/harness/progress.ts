// Long silent phases say what they are doing: a line when one starts, then one at least every
// 10 s until it ends, so that a log read through a pipe (CI, `| tee`) never goes quiet for long
// while SwiftShader compiles pipelines or a large point is being timed.

/** Seconds between two "still …" lines. */
export const HEARTBEAT_SECONDS = 10;

/**
 * Awaits `work`, logging `start` first (when given) and "  … still <what> (N s)" every
 * `everySeconds` until it settles. The timer never keeps the process alive on its own.
 */
export async function withHeartbeat<T>(
  work: PromiseLike<T>,
  what: string,
  log: (line: string) => void,
  start?: string,
  everySeconds = HEARTBEAT_SECONDS,
): Promise<T> {
  if (start) log(start);
  const t0 = performance.now();
  const timer = setInterval(() => log(`  … still ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)`), everySeconds * 1000);
  (timer as { unref?: () => void }).unref?.();
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
