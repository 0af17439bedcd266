// How the page writes numbers and durations, in one place for the single run and the race.

/** "4.2 s", "3 min 20 s", "2 h 5 min"; with `subSecond`, below a second in ms ("84 ms"). */
export function fmtSeconds(s: number, subSecond = false): string {
  if (!Number.isFinite(s)) return '?';
  if (subSecond && s < 0.01) return `${(s * 1000).toPrecision(2)} ms`;
  if (subSecond && s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A score to `digits` significant digits, exponential when very small or large. */
export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(digits - 1) : v.toPrecision(digits);
}

/** A name cut to `most` characters with "…" (the whole name goes in a title attribute where it is shown). */
export function shortName(name: string, most = 32): string {
  return name.length > most ? `${name.slice(0, most - 1)}…` : name;
}
