import { describe, expect, it } from 'vitest';
import { DEFAULT_GENERATION_SECONDS, drainRate, estimateWait, type EstimateInput } from './estimate';

const base: EstimateInput = {
  position: 0,
  measuredPerSecond: 0,
  backlogged: false,
  budgetPerSecond: 2, // one account: 20 tasks / 10 s
  generationSeconds: 180,
};

describe('drainRate', () => {
  it.each([
    ['no queue: the budget', { measuredPerSecond: 0.1, backlogged: false, budgetPerSecond: 2 }, 2],
    ['backlog: what was measured', { measuredPerSecond: 1.5, backlogged: true, budgetPerSecond: 2 }, 1.5],
    ['backlog: never above the budget', { measuredPerSecond: 9, backlogged: true, budgetPerSecond: 6 }, 6],
    ['backlog with nothing measured: the budget', { measuredPerSecond: 0, backlogged: true, budgetPerSecond: 4 }, 4],
    ['every key blocked: zero', { measuredPerSecond: 2, backlogged: true, budgetPerSecond: 0 }, 0],
  ])('%s', (_name, input, expected) => {
    expect(drainRate(input)).toBe(expected);
  });
});

describe('estimateWait', () => {
  it.each([
    ['next in line: generation only', { position: 0 }, { position: 0, queueSeconds: 0, waitSeconds: 180 }],
    ['600 ahead at 2/s: 5 minutes of queue', { position: 600 }, { position: 600, queueSeconds: 300, waitSeconds: 480 }],
    [
      'measured backlog rate of 0.5/s',
      { position: 300, backlogged: true, measuredPerSecond: 0.5 },
      { position: 300, queueSeconds: 600, waitSeconds: 780 },
    ],
    [
      'no recent generation: the default',
      { position: 0, generationSeconds: null },
      { position: 0, queueSeconds: 0, waitSeconds: DEFAULT_GENERATION_SECONDS },
    ],
    ['all keys blocked: unknown', { position: 5, budgetPerSecond: 0 }, { position: 5, queueSeconds: null, waitSeconds: null }],
    ['rounds up', { position: 3, budgetPerSecond: 2, generationSeconds: 100.2 }, { position: 3, queueSeconds: 2, waitSeconds: 103 }],
  ])('%s', (_name, over, expected) => {
    expect(estimateWait({ ...base, ...over })).toEqual(expected);
  });

  it('grows with the position', () => {
    let last = -1;
    for (let p = 0; p < 1000; p += 37) {
      const w = estimateWait({ ...base, position: p }).waitSeconds!;
      expect(w).toBeGreaterThanOrEqual(last);
      last = w;
    }
  });
});
