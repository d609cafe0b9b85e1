/**
 * The life of one job's KIE work (a task row). Pure: the handlers read the row, ask
 * `transition` what an input means for it, and the tasks repository applies the answer (its
 * queries are guarded by the states named here) with its effects in one transaction.
 *
 *   queued ─claimed→ submitting ─created→ running ─succeeded→ succeeded
 *     ↑  ↑              │   │                │  └─failed (retry)──→ queued (next attempt)
 *     │  └─released─────┘   └─lease_lost (createTask sent)→ running (no task id; the callback adopts it)
 *     └────────failed (retry)──────────────────┘
 *   queued | submitting | running ─failed (final)→ failed
 *   queued | submitting | running ─cancelled→ cancelled
 *
 * A success of an earlier attempt still delivers the video while the job is not over (the
 * seller paid for it); `succeeded`, `failed` and `cancelled` are terminal.
 */
export const TASK_STATES = ['queued', 'submitting', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];
export const TERMINAL: readonly TaskState[] = ['succeeded', 'failed', 'cancelled'];
/** States that hold an account's capacity (KIE_MAX_IN_FLIGHT). */
export const IN_FLIGHT: readonly TaskState[] = ['submitting', 'running'];

export type TaskInput =
  /** A replica claimed the queued row (or one whose lease ran out before createTask was sent). */
  | { type: 'claimed' }
  /** No key could take it, or the replica stops before createTask: back to the queue. */
  | { type: 'released' }
  /** createTask answered (or a callback named the task of a lost answer). */
  | { type: 'created' }
  /** The submit lease ran out after createTask was sent: KIE may have the task. */
  | { type: 'lease_lost' }
  /** The task (of `attempt`) produced its video. */
  | { type: 'succeeded'; attempt: number }
  /** The current attempt failed; `retry` when another attempt follows. */
  | { type: 'failed'; attempt: number; retry: boolean }
  /** The job failed for good elsewhere (jobs.video.failed.v1). */
  | { type: 'cancelled' };

export type Effect =
  | 'enqueue_submitted'
  | 'enqueue_succeeded'
  | 'enqueue_failed'
  /** The next attempt: attempt + 1, back-off, cleared task fields. */
  | 'next_attempt';

export type IgnoreReason = 'terminal' | 'stale' | 'unexpected';

export type Transition =
  { kind: 'move'; to: TaskState; effects: readonly Effect[] } | { kind: 'ignore'; reason: IgnoreReason };

export interface TaskSnapshot {
  state: TaskState;
  attempt: number;
}

const move = (to: TaskState, ...effects: Effect[]): Transition => ({ kind: 'move', to, effects });
const ignore = (reason: IgnoreReason): Transition => ({ kind: 'ignore', reason });

export const isTerminal = (s: TaskState) => TERMINAL.includes(s);

/** What `input` does to a task in its current state. */
export function transition(t: TaskSnapshot, input: TaskInput): Transition {
  if (isTerminal(t.state)) return ignore('terminal');
  switch (input.type) {
    case 'claimed':
      return t.state === 'queued' || t.state === 'submitting' ? move('submitting') : ignore('unexpected');
    case 'released':
      return t.state === 'submitting' ? move('queued') : ignore('unexpected');
    case 'created':
      return t.state === 'submitting' || t.state === 'running'
        ? move('running', 'enqueue_submitted')
        : ignore('unexpected');
    case 'lease_lost':
      return t.state === 'submitting' ? move('running') : ignore('unexpected');
    case 'succeeded':
      // Any attempt's video is the job's video while the job is not over.
      return move('succeeded', 'enqueue_succeeded');
    case 'failed':
      if (input.attempt !== t.attempt) return ignore('stale');
      if (t.state === 'queued') return ignore('unexpected');
      return input.retry ? move('queued', 'next_attempt') : move('failed', 'enqueue_failed');
    case 'cancelled':
      return move('cancelled');
    default:
      return assertNever(input);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled task input: ${JSON.stringify(x)}`);
}
