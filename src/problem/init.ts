// The five weight initialisations of the paper (docs/method.md §6.5), as the authors' code
// draws them: all normal, biases 0, fan_in = number of columns (r for W and A, n for V).
import { ParameterError } from '../errors.ts';
import type { Rng } from './rng.ts';
import { zeroWeights, type RnnWeights } from './types.ts';

/** Names of the initialisers. */
export const INITIALIZERS = ['he', 'normal-1e-3', 'normal-1e-1', 'glorot', 'lecun'] as const;
/** An initialiser of the weights: `he`, `normal-1e-3`, `normal-1e-1`, `glorot` or `lecun`. */
export type Initializer = (typeof INITIALIZERS)[number];

/** Standard deviation used for a rows×cols matrix under the given initialiser. */
export function initStd(kind: Initializer, rows: number, cols: number): number {
  switch (kind) {
    case 'he':
      return Math.sqrt(2 / cols);
    case 'lecun':
      return Math.sqrt(1 / cols);
    case 'glorot':
      return Math.sqrt(2 / (cols + rows));
    case 'normal-1e-3':
      return 1e-3;
    case 'normal-1e-1':
      return 1e-1;
  }
}

/** Checks an initialiser name; throws a message listing the valid ones. */
export function parseInitializer(text: string): Initializer {
  if ((INITIALIZERS as readonly string[]).includes(text)) return text as Initializer;
  throw new ParameterError('init', `"${text}"`, `one of ${INITIALIZERS.join(', ')}`);
}

/** Draws W, V, A (in that order) from the initialiser; b = c = 0. */
export function initializeWeights(kind: Initializer, r: number, n: number, m: number, rng: Rng): RnnWeights {
  const w = zeroWeights(r, n, m);
  rng.fillNormal(w.W, initStd(kind, r, r));
  rng.fillNormal(w.V, initStd(kind, r, n));
  rng.fillNormal(w.A, initStd(kind, m, r));
  return w;
}
