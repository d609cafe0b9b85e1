import { describe, expect, it } from 'vitest';
import { TASK_STATES, transition, type TaskInput, type TaskState } from './task-state';

const inputs: TaskInput[] = [
  { type: 'claimed' },
  { type: 'released' },
  { type: 'created' },
  { type: 'lease_lost' },
  { type: 'succeeded', attempt: 1 },
  { type: 'failed', attempt: 1, retry: true },
  { type: 'failed', attempt: 1, retry: false },
  { type: 'cancelled' },
];

/** Expected result per state, in the order of `inputs`: a target state, or `-reason` for ignore. */
const table: Record<TaskState, string[]> = {
  queued: [
    'submitting',
    '-unexpected',
    '-unexpected',
    '-unexpected',
    'succeeded',
    '-unexpected',
    '-unexpected',
    'cancelled',
  ],
  submitting: ['submitting', 'queued', 'running', 'running', 'succeeded', 'queued', 'failed', 'cancelled'],
  running: [
    '-unexpected',
    '-unexpected',
    'running',
    '-unexpected',
    'succeeded',
    'queued',
    'failed',
    'cancelled',
  ],
  succeeded: Array(8).fill('-terminal'),
  failed: Array(8).fill('-terminal'),
  cancelled: Array(8).fill('-terminal'),
};

describe('task lifecycle', () => {
  it.each(
    TASK_STATES.flatMap((state) => inputs.map((input, i) => [state, input, table[state][i]!] as const)),
  )('%s + %o → %s', (state, input, expected) => {
    const t = transition({ state, attempt: 1 }, input);
    if (expected.startsWith('-')) expect(t).toEqual({ kind: 'ignore', reason: expected.slice(1) });
    else expect(t).toMatchObject({ kind: 'move', to: expected });
  });

  it('names the effects of each move', () => {
    expect(transition({ state: 'submitting', attempt: 1 }, { type: 'created' })).toEqual({
      kind: 'move',
      to: 'running',
      effects: ['enqueue_submitted'],
    });
    expect(
      transition({ state: 'running', attempt: 1 }, { type: 'failed', attempt: 1, retry: true }),
    ).toMatchObject({
      effects: ['next_attempt'],
    });
    expect(
      transition({ state: 'running', attempt: 1 }, { type: 'failed', attempt: 1, retry: false }),
    ).toMatchObject({
      effects: ['enqueue_failed'],
    });
    expect(transition({ state: 'running', attempt: 2 }, { type: 'succeeded', attempt: 1 })).toMatchObject({
      to: 'succeeded',
      effects: ['enqueue_succeeded'],
    });
  });

  it('ignores a failure of an older attempt', () => {
    expect(
      transition({ state: 'running', attempt: 2 }, { type: 'failed', attempt: 1, retry: false }),
    ).toEqual({
      kind: 'ignore',
      reason: 'stale',
    });
  });
});
