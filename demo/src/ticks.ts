// Ticks for the page's log-like y axes (log for FeasVio, the errors and γ; asinh for L).
// uPlot's defaults label a log axis with fixed decimals, so that below 0.01 a tick reads "0",
// and can leave a narrow asinh axis with a single tick. These put ticks at 1-2-5 values and
// label them with their significant digits ("0.002", "1e-5", "2.5e6").

const ONE_TWO_FIVE = [1, 2, 5];

/** The 1-2-5 values ·10^k within [a, b] (0 < a ≤ b), ascending; exact decimals (2e-5, not 2.0000000000000002e-5). */
function oneTwoFiveWithin(a: number, b: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(a)); e <= Math.ceil(Math.log10(b)); e++) {
    for (const s of ONE_TWO_FIVE) {
      const v = Number(`${s}e${e}`);
      if (v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** The largest (down) or smallest (up) value of the 1-2-5 sequence ·10^k beyond v > 0: the page's log ranges and tick steps. */
export function nice125(v: number, up: boolean): number {
  const e = Math.floor(Math.log10(v));
  const steps = up ? [1, 2, 5, 10] : [10, 5, 2, 1];
  for (const s of steps) {
    const c = s * 10 ** e;
    if (up ? c >= v * (1 - 1e-12) : c <= v * (1 + 1e-12)) return c;
  }
  return up ? 10 ** (e + 1) : 10 ** e;
}

/**
 * Tick positions for a log or asinh axis over [min, max]: the 1-2-5 values ·10^k inside it (and
 * 0 and their negatives where the axis crosses zero, with |v| ≥ 1 as asinh compresses below),
 * thinned to whole decades, then to every k-th decade, when there are more than `most`. A range
 * that holds fewer than two of them (a narrow one) gets evenly spaced round ticks instead, so an
 * axis never shows a single tick.
 */
export function logTicks(min: number, max: number, most = 6): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max)) || !(max > min)) return Number.isFinite(min) ? [min] : [];
  let ticks: number[];
  if (min > 0) {
    ticks = oneTwoFiveWithin(min, max);
  } else {
    const negatives = min <= -1 ? oneTwoFiveWithin(1, -min).map((v) => -v).reverse() : [];
    const positives = max >= 1 ? oneTwoFiveWithin(1, max) : [];
    ticks = [...negatives, ...(max >= 0 ? [0] : []), ...positives];
  }
  const decade = (v: number): number => Math.round(Math.log10(Math.abs(v)));
  if (ticks.length > most) ticks = ticks.filter((v) => v === 0 || Math.abs(v) === Number(`1e${decade(v)}`));
  if (ticks.length > most) {
    const every = Math.ceil(ticks.length / most);
    ticks = ticks.filter((v) => v === 0 || decade(v) % every === 0);
  }
  if (ticks.length >= 2) return ticks;
  const step = nice125((max - min) / 4, true);
  const linear: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max * (1 + 1e-12) + 1e-300; v += step) linear.push(Number(v.toPrecision(12)));
  return linear.length >= 2 ? linear : [min, max];
}

/** A tick's label: up to 4 significant digits, in e-notation outside [0.001, 100000). */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(4)));
  const [mantissa, exponent] = v.toExponential().split('e');
  return `${Number(Number(mantissa).toPrecision(4))}e${Number(exponent)}`;
}
