// The page's log-axis ticks (demo/src/ticks.ts): 1-2-5 positions that never collapse to one
// tick, and labels that keep their digits where uPlot's fixed decimals printed "0".
import { describe, expect, it } from 'vitest';
import { logTicks, tickLabel } from '../../demo/src/ticks.ts';

const labels = (min: number, max: number): string[] => logTicks(min, max).map(tickLabel);

describe('logTicks and tickLabel', () => {
  it('label a FeasVio axis below 0.01 with its digits, not "0"', () => {
    expect(labels(1e-3, 5e-2)).toEqual(['0.001', '0.002', '0.005', '0.01', '0.02', '0.05']);
    expect(labels(2e-6, 5e-5)).toEqual(['2e-6', '5e-6', '1e-5', '2e-5', '5e-5']);
  });

  it('thin a wide log range to decades, then to every other decade', () => {
    expect(labels(1e-4, 1e-1)).toEqual(['1e-4', '0.001', '0.01', '0.1']);
    expect(labels(1e-8, 10)).toEqual(['1e-8', '1e-6', '1e-4', '0.01', '1']);
  });

  it('give a narrow range (an L axis that barely moves) several round ticks, not one', () => {
    expect(labels(1234.5, 1300)).toEqual(['1240', '1260', '1280', '1300']);
    expect(logTicks(3, 3.4).length).toBeGreaterThanOrEqual(2);
  });

  it('cross zero on an asinh axis with 0 and both signs', () => {
    const ticks = logTicks(-3000, 1e6);
    expect(ticks).toContain(0);
    expect(ticks.some((v) => v < 0)).toBe(true);
    expect(ticks.length).toBeLessThanOrEqual(7);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
  });

  it('write large and small values in e-notation and keep exact decimals', () => {
    expect([2.5e6, 123456, 0.0004, -0.25, 0].map(tickLabel)).toEqual(['2.5e6', '1.235e5', '4e-4', '-0.25', '0']);
  });
});
