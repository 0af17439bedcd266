// Command-line parsing shared by every subcommand: node:util's parseArgs in strict mode, with
// its errors turned into UserInputErrors, and typed readers that name the flag on bad values.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { excerpt, UserInputError } from '../api/errors.ts';
import { parseListValues } from '../api/settings.ts';

/** The options table of one subcommand. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags and positionals. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** A negative number (or -inf) as a flag's argument: "-1", "-0.5", "-1e-3", "-1,2" (a list), "-Infinity". */
const NEGATIVE_VALUE = /^-(?:\d|\.\d|inf)/i;

/**
 * Joins `--flag -1` into `--flag=-1` for string options, so that a negative value reaches the
 * flag's range check: parseArgs would otherwise take "-1" for a short option and call it ambiguous.
 */
export function joinNegativeValues(argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_VALUE.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** Parses argv against the spec; unknown flags and missing values become UserInputErrors. */
export function parseCommandLine(argv: string[], options: OptionSpec, allowPositionals = false): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new UserInputError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')} (see --help)`);
  }
}

/** The flag's number value, or undefined when absent; a non-number names the flag. */
export function numberFlag(values: ParsedArgs['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const v = /^[-+]?inf(inity)?$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
  if (text === '' || Number.isNaN(v)) throw new UserInputError(`--${name} must be a number, got "${excerpt(String(raw))}"`);
  return v;
}

/** The flag's integer value, or undefined when absent. */
export function integerFlag(values: ParsedArgs['values'], name: string): number | undefined {
  const v = numberFlag(values, name);
  if (v !== undefined && !Number.isInteger(v)) throw new UserInputError(`--${name} must be an integer, got "${excerpt(String(values[name]))}"`);
  return v;
}

/** The flag's string value, or undefined when absent. */
export function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const raw = values[name];
  return raw === undefined ? undefined : String(raw);
}

/** The flag's value, which must be one of `choices`. */
export function choiceFlag<T extends string>(values: ParsedArgs['values'], name: string, choices: readonly T[]): T | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UserInputError(`--${name} must be one of ${choices.join(', ')}, got "${excerpt(raw)}"`);
  }
  return raw as T;
}

/** A comma-separated list flag. */
export function listFlag(values: ParsedArgs['values'], name: string): string[] | undefined {
  const raw = stringFlag(values, name);
  return raw === undefined ? undefined : raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * A list-valued flag: comma-separated items, each parsed by `parse`, with integer ranges "a-b"
 * when `ranges` is set (e.g. --seed 1-4,9). Undefined when absent; duplicates are refused.
 */
export function listValuesFlag<T>(
  values: ParsedArgs['values'], name: string, parse: (item: string) => T, options: { ranges?: boolean } = {},
): T[] | undefined {
  const raw = stringFlag(values, name);
  return raw === undefined ? undefined : parseListValues(`--${name}`, raw, parse, options);
}
