import { describe, expect, it } from 'vitest';
import { decideStall, type StallInput } from './stall';

const min = 60_000;
const base: StallInput = {
  now: 100 * min,
  stalledSince: null,
  waiting: 10,
  oldestWaitingAt: 80 * min,
  lastSubmitAt: 90 * min,
  afterMs: 5 * min,
};

describe('decideStall', () => {
  it.each([
    ['videos wait, a submission 10 min ago: stalled since then', {}, { kind: 'stall', since: 90 * min }],
    ['a submission 4 min ago: fine', { lastSubmitAt: 96 * min }, { kind: 'none' }],
    ['exactly 5 min: not yet', { lastSubmitAt: 95 * min }, { kind: 'none' }],
    ['nothing waits: fine however long ago', { waiting: 0, oldestWaitingAt: null, lastSubmitAt: 0 }, { kind: 'none' }],
    ['the oldest arrived 3 min ago after a quiet hour: fine', { oldestWaitingAt: 97 * min, lastSubmitAt: 30 * min }, { kind: 'none' }],
    ['never submitted, waiting 6 min', { lastSubmitAt: null, oldestWaitingAt: 94 * min }, { kind: 'stall', since: 94 * min }],
    ['in an episode, still nothing sent: nothing new', { stalledSince: 90 * min }, { kind: 'none' }],
    ['in an episode, a submission after it began: recovered', { stalledSince: 80 * min, lastSubmitAt: 99 * min }, { kind: 'recover' }],
    ['in an episode, nothing waits any more (cancelled): recovered', { stalledSince: 90 * min, waiting: 0, oldestWaitingAt: null }, { kind: 'recover' }],
  ] as const)('%s', (_name, over, expected) => {
    expect(decideStall({ ...base, ...over })).toEqual(expected);
  });
});
