import type { Logger } from './logger';

/** Frames of the `postgres` driver's connection code (sources, CommonJS and the Workers build). */
const DRIVER_FRAME = /postgres[\\/](?:cjs[\\/]|cf[\\/])?src[\\/]connection\.js/;
/** The driver's own codes for a connection that went away (postgres/src/errors.js). */
const DRIVER_CONNECTION_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT']);
/** The socket's own errors when the server goes away (a crash resets the connection). */
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * An error the `postgres` driver throws or rejects outside any query of ours when a
 * connection breaks, e.g. during a PostgreSQL restart:
 * - the null-socket write of porsager/postgres#1154/#1208 (`nextWrite` run from a
 *   setImmediate after the socket closed; patched in patches/postgres@3.4.9.patch, guarded
 *   here in case the patch is ever lost in an upgrade);
 * - a connection-class failure (SQLSTATE 08xxx, 57P01-57P03 such as "terminating
 *   connection due to administrator command" or "the database system is starting up", or
 *   the driver's CONNECTION_CLOSED) rejected from the driver's internal start-up queries,
 *   which nobody awaits; likewise the socket's ECONNRESET when the server crashes.
 * The pool reconnects by itself; the queries that were in flight failed to their callers.
 */
export function isDriverConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const stack = err.stack ?? '';
  // The driver decorates an error it fails a query with (postgres/src/connection.js
  // queryError): a socket error rejected from its internal queries has no frame of its own.
  const fromDriver = DRIVER_FRAME.test(stack) || Object.getOwnPropertyDescriptor(err, 'query') !== undefined;
  if (!fromDriver) return false;
  if (err instanceof TypeError) return /reading 'write'/.test(err.message) && /\bnextWrite\b/.test(stack);
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return DRIVER_CONNECTION_CODES.has(code) || SOCKET_CODES.has(code) || /^(08|57P0[123])/.test(code);
}

let installed = false;

/**
 * The process-level guard (installed by `runMain`): an uncaught exception or unhandled
 * rejection from the driver's broken-connection paths is logged and survived; anything
 * else is still fatal, logged and exits 1 as Node would, for the supervisor to restart us.
 */
export function installCrashGuard(log: Logger, exit: (code: number) => void = process.exit): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', (err, origin) => {
    if (isDriverConnectionError(err)) {
      log.error({ err, origin }, 'postgres driver error outside a query survived; the pool reconnects');
      return;
    }
    log.fatal({ err, origin }, 'uncaught exception; exiting');
    log.flush?.();
    exit(1);
  });
}
