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

/** Connection-level failures of Postgres (porsager) and Node sockets. */
const CONNECTION_CODES = new Set([
  'CONNECTION_REFUSED',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** nats.js error classes that mean "the broker is unreachable or busy right now". */
const NATS_ERROR_NAMES = new Set([
  'TimeoutError',
  'ConnectionError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'NoRespondersError',
  'RequestError',
]);

/**
 * True for failures of our own infrastructure (database, broker, network) and explicit
 * TransientErrors: retrying later will succeed once the dependency is back, so such a
 * message is redelivered for as long as it takes and never parked — parking a billing
 * message during a database outage would leave a credit held for good.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (CONNECTION_CODES.has(code)) return true;
    // SQLSTATE: 08 connection exception, 53 insufficient resources, 57P0x shutdown,
    // 40001 serialization failure, 40P01 deadlock.
    if (/^(08|53)/.test(code) || /^57P0/.test(code) || code === '40001' || code === '40P01') return true;
  }
  if (NATS_ERROR_NAMES.has(err.name)) return true;
  return err.cause !== undefined && err.cause !== err && isTransient(err.cause);
}
