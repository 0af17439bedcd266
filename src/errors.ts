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

/** What to change when the linear algebra fails; one text for the CLI and the page. */
export const NUMERICAL_ADVICE =
  'The regularisation is too weak for this data: raise τ (--tau, the λ1…λ5 weights) or μ (--mu), lower γ0 (--gamma0), ' +
  'and check the data for constant or duplicated input columns';
