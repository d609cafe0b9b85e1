/**
 * The message can never succeed (bad content, a broken invariant): park it in DEAD and
 * stop redelivering it.
 */
export class PermanentError extends Error {
  readonly code = 'PERMANENT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * Worth another try later (a dependency is down, a rate limit): redeliver after
 * `retryAfterMs`, or after the consumer's back-off when not given.
 */
export class TransientError extends Error {
  readonly code = 'TRANSIENT';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}
