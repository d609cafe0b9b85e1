/**
 * The life of one video (a job). Pure: the handlers read the job, ask `transition` what
 * an input means for it, and apply the answer with its effects in one transaction.
 *
 *   prompting ─prompt_written→ submitted ─task_submitted→ generating ─task_succeeded→ ready ─video_sent→ delivered
 *       │                          │  └──────────task_succeeded (out of order)────────↗   │
 *       │                          └─────────────┬────────────────┘                        │
 *       │                               task_failed / deadline_passed          video_undeliverable
 *       │                                        ↓                                         │
 *       └─────────deadline_passed──────────→  failed  ←────────────────────────────────────┘
 *
 * The overall deadline ends only jobs without a video. A `ready` job waits for the notifier,
 * which either delivers the video (even late: billing captures it) or reports it
 * undeliverable (billing refunds it); failing it on the clock could refund a video that
 * then arrives anyway.
 *
 * `delivered` and `failed` are terminal: once a video has an outcome, nothing changes it
 * (billing has already captured or refunded its credit).
 */
export const JOB_STATES = ['prompting', 'submitted', 'generating', 'ready', 'delivered', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ['delivered', 'failed'];

export type JobInput =
  | { type: 'prompt_written' }
  /** KIE accepted a task; the dispatcher submits again (attempt + 1) after a retriable failure. */
  | { type: 'task_submitted'; attempt: number }
  | { type: 'task_succeeded' }
  | { type: 'task_failed' }
  | { type: 'video_sent' }
  /** The notifier gave up on sending the video for good (bot blocked, chat gone, URL expired). */
  | { type: 'video_undeliverable' }
  | { type: 'deadline_passed' };

export type JobInputType = JobInput['type'];

/** Why an input changes nothing; the handler logs it and acknowledges the message. */
export type IgnoreReason =
  /** The input was applied before (redelivery, duplicate callback). */
  | 'duplicate'
  /** An older attempt reported after a newer one. */
  | 'stale'
  /** The job already has its outcome. */
  | 'terminal'
  /** The job is past this step (e.g. submitted after the success already arrived). */
  | 'late'
  /** The input cannot happen in this state (a bug elsewhere or foreign data). */
  | 'unexpected';

export type Transition = { kind: 'move'; to: JobState } | { kind: 'ignore'; reason: IgnoreReason };

export interface JobSnapshot {
  state: JobState;
  /** Latest KIE attempt recorded, 0 before the first submission. */
  attempt: number;
}

const move = (to: JobState): Transition => ({ kind: 'move', to });
const ignore = (reason: IgnoreReason): Transition => ({ kind: 'ignore', reason });

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** What `input` does to a job in its current state. */
export function transition(job: JobSnapshot, input: JobInput): Transition {
  switch (job.state) {
    case 'prompting':
      switch (input.type) {
        case 'prompt_written':
          return move('submitted');
        case 'deadline_passed':
          return move('failed');
        // KIE hears about a job only after its prompt is written, in the same transaction.
        case 'task_submitted':
        case 'task_succeeded':
        case 'task_failed':
        case 'video_sent':
        case 'video_undeliverable':
          return ignore('unexpected');
        default:
          return unreachable(input);
      }
    case 'submitted':
      switch (input.type) {
        case 'prompt_written':
          return ignore('duplicate');
        case 'task_submitted':
          return move('generating');
        // Separate consumers: the success (or failure) may overtake its submission.
        case 'task_succeeded':
          return move('ready');
        case 'task_failed':
        case 'deadline_passed':
          return move('failed');
        case 'video_sent':
        case 'video_undeliverable':
          return ignore('unexpected');
        default:
          return unreachable(input);
      }
    case 'generating':
      switch (input.type) {
        case 'prompt_written':
          return ignore('duplicate');
        case 'task_submitted':
          // A retry on a new task is recorded; a repeated or older submission is not.
          return input.attempt > job.attempt ? move('generating') : ignore(input.attempt === job.attempt ? 'duplicate' : 'stale');
        case 'task_succeeded':
          return move('ready');
        case 'task_failed':
        case 'deadline_passed':
          return move('failed');
        case 'video_sent':
        case 'video_undeliverable':
          return ignore('unexpected');
        default:
          return unreachable(input);
      }
    case 'ready':
      switch (input.type) {
        case 'prompt_written':
          return ignore('duplicate');
        case 'task_submitted':
        case 'task_failed':
          // A submission or failure report overtaken by the success: the video exists.
          return ignore('late');
        case 'task_succeeded':
          return ignore('duplicate');
        case 'video_sent':
          return move('delivered');
        // The notifier gave up on it: the credit is refunded.
        case 'video_undeliverable':
          return move('failed');
        // The video exists: the notifier delivers it (even late) or reports it undeliverable.
        case 'deadline_passed':
          return ignore('late');
        default:
          return unreachable(input);
      }
    case 'delivered':
      switch (input.type) {
        case 'video_sent':
          return ignore('duplicate');
        case 'prompt_written':
        case 'task_submitted':
        case 'task_succeeded':
        case 'task_failed':
        case 'video_undeliverable':
        case 'deadline_passed':
          return ignore('terminal');
        default:
          return unreachable(input);
      }
    case 'failed':
      switch (input.type) {
        case 'task_failed':
        case 'deadline_passed':
          return ignore('duplicate');
        case 'prompt_written':
        case 'task_submitted':
        case 'task_succeeded':
        case 'video_sent':
        case 'video_undeliverable':
          return ignore('terminal');
        default:
          return unreachable(input);
      }
    default:
      return unreachable(job.state);
  }
}

function unreachable(x: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(x)}`);
}
