// Command-line parsing: negative numbers as flag arguments reach the flags' range checks.
import { describe, expect, it } from 'vitest';
import { joinNegativeValues, numberFlag, parseCommandLine, type OptionSpec } from '../../src/cli/args.ts';

const spec: OptionSpec = { tau: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

describe('joinNegativeValues', () => {
  it('joins a string flag with a negative number, a negative list or -inf, and nothing else', () => {
    expect(joinNegativeValues(['--tau', '-1', '--seed', '-1,2', '--json'], spec)).toEqual(['--tau=-1', '--seed=-1,2', '--json']);
    expect(joinNegativeValues(['--tau', '-.5', '--seed', '-Infinity'], spec)).toEqual(['--tau=-.5', '--seed=-Infinity']);
    expect(joinNegativeValues(['--json', '-h'], spec)).toEqual(['--json', '-h']);
    expect(joinNegativeValues(['--tau', '-h'], spec)).toEqual(['--tau', '-h']);
    expect(joinNegativeValues(['--', '--tau', '-1'], spec)).toEqual(['--', '--tau', '-1']);
  });

  it('lets parseCommandLine read "--tau -1" as the number -1', () => {
    expect(numberFlag(parseCommandLine(['--tau', '-1e-3'], spec).values, 'tau')).toBe(-1e-3);
  });
});
