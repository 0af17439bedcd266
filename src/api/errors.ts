// The errors of the public API's edge: an option that is unknown, of the wrong type or out of
// range gets an OptionError naming the option (as the API spells it), its value and what is
// allowed. The CLI maps option names to its flags (optionFlag in src/cli/), so both speak the
// user's own language.
import { excerpt, UserInputError } from '../errors.ts';

// The errors every front end words its refusals with, from the module of the API's edge (the CLI's
// light modules import them here: the package entries load the whole API).
export { DataError, excerpt, UserInputError } from '../errors.ts';

/** An option of an API call that is unknown, of the wrong type, or out of range. */
export class OptionError extends UserInputError {
  /** The error's name. */
  override name = 'OptionError';
  /**
   * @param option the option's path as the caller wrote it, e.g. "params.tau" or "inputs[3][1]"
   * @param value the value given (undefined when the option is missing)
   * @param problem what is wrong and what is allowed, e.g. "must be a finite number > 0"
   */
  constructor(readonly option: string, readonly value: unknown, readonly problem: string) {
    super(`${option} ${problem}${value === undefined ? '' : `, got ${describeValue(value)}`}`);
  }
}

/** A short, bounded description of a value for messages. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(excerpt(v));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as unknown as { length: number }).length}`;
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Edit distance between two short strings (for "did you mean"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

/** The known name closest to `name`, when it is close enough to be a typo. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dk = distance(name, k);
    if (dk < bestD) {
      best = k;
      bestD = dk;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Refuses keys of `obj` that are not in `known`, naming the closest known one. */
export function checkKnownKeys(obj: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const near = closestName(key, known);
    throw new OptionError(`${where}${key}`, undefined, `is not a known option${near ? ` (did you mean "${where}${near}"?)` : ''}; known: ${known.join(', ')}`);
  }
}

/** Refuses a value that is not a plain object. */
export function checkObject(v: unknown, option: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) {
    throw new OptionError(option, v, 'must be an object');
  }
}
