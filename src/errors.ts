// Errors caused by what a user supplied (a file, a flag, a parameter). The CLI prints their
// message alone, without a stack trace, and exits non-zero; anything else is a defect.

/** A problem with user input; the message says what is wrong, where, and what is allowed. */
export class UserInputError extends Error {
  /** The error's name, for messages and `instanceof`-free checks. */
  override name = 'UserInputError';
}

/** A parameter outside its allowed range; names the parameter, its value and the range. */
export class ParameterError extends UserInputError {
  /** The error's name. */
  override name = 'ParameterError';
  /**
   * @param parameter the parameter's name, e.g. "tau"
   * @param value the value given
   * @param allowed the allowed range, e.g. "must be > 0"
   */
  constructor(readonly parameter: string, readonly value: unknown, readonly allowed: string) {
    super(`${parameter} = ${String(value)} is out of range: ${allowed}`);
  }
}

/** Malformed data (CSV content, model files, checkpoints). */
export class DataError extends UserInputError {
  /** The error's name. */
  override name = 'DataError';
}

/**
 * The run's numbers broke down: a block matrix that should be positive definite is not (a
 * Cholesky pivot ≤ 0), or a value is no longer finite. It follows from the data and the
 * parameters, so front ends show it like bad input, with what to change.
 */
export class NumericalError extends UserInputError {
  /** The error's name. */
  override name = 'NumericalError';
  /** @param detail what broke down, e.g. which block matrix was not positive definite; the message adds advice */
  constructor(readonly detail: string) {
    super(`${detail}. ${NUMERICAL_ADVICE}`);
  }
}

/**
 * A model's predictions stopped being finite numbers: its hidden state overflowed double
 * precision on the inputs it was given. Names the first step and target column that did.
 */
export class NonFinitePredictionError extends UserInputError {
  /** The error's name. */
  override name = 'NonFinitePredictionError';
  /**
   * @param source the data's name in the message (a file name, or "inputs")
   * @param row the first input row (0-based) whose prediction is not finite
   * @param column the name of the target column whose prediction is not finite there
   * @param value that prediction (NaN, Infinity or -Infinity)
   * @param count how many of the predictions are not finite
   * @param total how many predictions there are
   */
  constructor(source: string, readonly row: number, readonly column: string, readonly value: number, readonly count: number, readonly total: number) {
    super(
      `${source}: the model's prediction of "${excerpt(column)}" is ${value} at step ${row + 1} (${count} of ${total} predictions are not finite): `
        + 'its hidden state overflows on these inputs; check that they are in the units and ranges the model was trained on, '
        + 'or retrain it with a larger τ (--tau), which keeps its weights smaller',
    );
  }
}

/** Longest excerpt of user text that a message quotes. */
export const EXCERPT_LENGTH = 40;

/**
 * At most `max` characters of user text (a cell, a name, a value) for an error message, with
 * "…" where it was cut: a message quotes what is wrong, never a whole 50 MB cell.
 */
export function excerpt(text: string, max = EXCERPT_LENGTH): string {
  if (text.length <= max) return text;
  // Cut before a lone high surrogate, so that the excerpt stays valid UTF-16.
  const end = /[\ud800-\udbff]/.test(text[max - 1]) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/** A list of names for a message (`a, b, c`, each quoted when asked): each name an excerpt, the whole list at most 400 characters. */
export function excerptList(names: readonly string[], quoted = false): string {
  return excerpt(names.map((name) => (quoted ? `"${excerpt(name)}"` : excerpt(name))).join(', '), 400);
}

/** What to change when the linear algebra fails; one text for the CLI and the page. */
export const NUMERICAL_ADVICE =
  'The regularisation is too weak for this data: raise τ (--tau, the λ1…λ5 weights) or μ (--mu), lower γ0 (--gamma0), ' +
  'and check the data for constant or duplicated input columns';
