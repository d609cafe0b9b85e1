import { describe, expect, it } from 'vitest';
import { JOB_STATES, isTerminal, transition, type JobInput, type JobState, type Transition } from './job-state';

const inputs: JobInput[] = [
  { type: 'prompt_written' },
  { type: 'task_submitted', attempt: 1 },
  { type: 'task_succeeded' },
  { type: 'task_failed' },
  { type: 'video_sent' },
  { type: 'video_undeliverable' },
  { type: 'deadline_passed' },
];

const m = (to: JobState): Transition => ({ kind: 'move', to });
const i = (reason: Extract<Transition, { kind: 'ignore' }>['reason']): Transition => ({ kind: 'ignore', reason });

/** state → input type → expected transition (for attempt 1 on a job with attempt 0, or 1 when generating). */
const table: Record<JobState, Record<JobInput['type'], Transition>> = {
  prompting: {
    prompt_written: m('submitted'),
    task_submitted: i('unexpected'),
    task_succeeded: i('unexpected'),
    task_failed: i('unexpected'),
    video_sent: i('unexpected'),
    video_undeliverable: i('unexpected'),
    deadline_passed: m('failed'),
  },
  submitted: {
    prompt_written: i('duplicate'),
    task_submitted: m('generating'),
    task_succeeded: m('ready'),
    task_failed: m('failed'),
    video_sent: i('unexpected'),
    video_undeliverable: i('unexpected'),
    deadline_passed: m('failed'),
  },
  generating: {
    prompt_written: i('duplicate'),
    task_submitted: i('duplicate'),
    task_succeeded: m('ready'),
    task_failed: m('failed'),
    video_sent: i('unexpected'),
    video_undeliverable: i('unexpected'),
    deadline_passed: m('failed'),
  },
  ready: {
    prompt_written: i('duplicate'),
    task_submitted: i('late'),
    task_succeeded: i('duplicate'),
    task_failed: i('late'),
    video_sent: m('delivered'),
    video_undeliverable: m('failed'),
    // The video exists: the notifier delivers it or reports it undeliverable.
    deadline_passed: i('late'),
  },
  delivered: {
    prompt_written: i('terminal'),
    task_submitted: i('terminal'),
    task_succeeded: i('terminal'),
    task_failed: i('terminal'),
    video_sent: i('duplicate'),
    video_undeliverable: i('terminal'),
    deadline_passed: i('terminal'),
  },
  failed: {
    prompt_written: i('terminal'),
    task_submitted: i('terminal'),
    task_succeeded: i('terminal'),
    task_failed: i('duplicate'),
    video_sent: i('terminal'),
    video_undeliverable: i('terminal'),
    deadline_passed: i('duplicate'),
  },
};

describe('job state machine', () => {
  const cases = JOB_STATES.flatMap((state) => inputs.map((input) => [state, input] as const));

  it.each(cases)('%s + %o follows the transitions table', (state, input) => {
    const attempt = state === 'generating' ? 1 : 0;
    expect(transition({ state, attempt }, input)).toEqual(table[state][input.type]);
  });

  it('records a retry on a new task while generating, but not an older attempt', () => {
    expect(transition({ state: 'generating', attempt: 1 }, { type: 'task_submitted', attempt: 2 })).toEqual(m('generating'));
    expect(transition({ state: 'generating', attempt: 3 }, { type: 'task_submitted', attempt: 2 })).toEqual(i('stale'));
  });

  it('never moves a terminal job', () => {
    for (const state of JOB_STATES.filter(isTerminal)) {
      for (const input of inputs) expect(transition({ state, attempt: 1 }, input).kind).toBe('ignore');
    }
  });

  it('lets every open job without a video expire, but never a ready one', () => {
    for (const state of JOB_STATES.filter((s) => !isTerminal(s) && s !== 'ready')) {
      expect(transition({ state, attempt: 1 }, { type: 'deadline_passed' })).toEqual(m('failed'));
    }
    expect(transition({ state: 'ready', attempt: 1 }, { type: 'deadline_passed' }).kind).toBe('ignore');
  });

  it('fails a job for an undeliverable video only once the video exists', () => {
    const moves = JOB_STATES.filter((state) => transition({ state, attempt: 1 }, { type: 'video_undeliverable' }).kind === 'move');
    expect(moves).toEqual(['ready']);
  });

  it('knows exactly two terminal states', () => {
    expect(JOB_STATES.filter(isTerminal)).toEqual(['delivered', 'failed']);
  });
});
