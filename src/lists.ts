// The list syntax of the command line's list-valued settings (--seed 1-4,9, --init he,lecun,
// --tau 0.3,1), shared by the CLI's flags and the demo page's fields and URL, so that a value
// means the same thing, and is refused with the same message, everywhere.
import { excerpt, UserInputError } from './errors.ts';

/**
 * Parses comma-separated items, each by `parse`, with integer ranges "a-b" when `ranges` is set.
 * `label` names the setting in messages (e.g. "--seed"); empty items and duplicates are refused.
 */
export function parseListValues<T>(label: string, raw: string, parse: (item: string) => T, options: { ranges?: boolean } = {}): T[] {
  const items = raw.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UserInputError(`${label} has an empty item in "${raw}" (give values separated by commas)`);
  const out: T[] = [];
  for (const item of items) {
    const range = options.ranges ? /^([-+]?\d+)-([-+]?\d+)$/.exec(item) : null;
    if (range) {
      const a = Number(range[1]), b = Number(range[2]);
      if (b < a) throw new UserInputError(`${label}: the range "${excerpt(item)}" is empty (write the smaller end first)`);
      if (b - a >= 10_000) throw new UserInputError(`${label}: the range "${item}" has ${b - a + 1} values, more than 10000`);
      for (let v = a; v <= b; v++) out.push(parse(String(v)));
    } else {
      out.push(parse(item));
    }
  }
  const seen = new Set<string>();
  for (const v of out) {
    const key = JSON.stringify(v);
    if (seen.has(key)) throw new UserInputError(`${label} lists ${key} twice`);
    seen.add(key);
  }
  return out;
}
