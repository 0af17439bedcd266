// Errors caused by what a user supplied (a file, a flag, a parameter). The CLI prints their
// message alone, without a stack trace, and exits non-zero; anything else is a defect.

/** A problem with user input; the message says what is wrong, where, and what is allowed. */
export class UserInputError extends Error {
  override name = 'UserInputError';
}

/** A parameter outside its allowed range; names the parameter, its value and the range. */
export class ParameterError extends UserInputError {
  override name = 'ParameterError';
  constructor(readonly parameter: string, readonly value: unknown, readonly allowed: string) {
    super(`${parameter} = ${String(value)} is out of range: ${allowed}`);
  }
}

/** Malformed data (CSV content, model files, checkpoints). */
export class DataError extends UserInputError {
  override name = 'DataError';
}
