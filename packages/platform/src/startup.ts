import { createServer, type Server } from 'node:http';
import type { Logger } from './logger';

/** SQLSTATE classes and driver/socket codes that mean "not reachable yet", worth waiting for. */
const WAITABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);

/**
 * True for a failure that another attempt may not meet: PostgreSQL down, restarting or
 * "starting up" (57P03), a connection cut (08xxx, 57P01/57P02, the driver's
 * CONNECTION_* codes). A bad password (28P01), a missing database (3D000) or a failing
 * migration are not: those exit, since waiting cannot fix them.
 */
export function isWaitable(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; errors?: unknown[] } | null;
  if (!e || typeof e !== 'object') return false;
  if (Array.isArray(e.errors) && e.errors.some(isWaitable)) return true; // AggregateError of each address tried
  const code = typeof e.code === 'string' ? e.code : '';
  return (
    WAITABLE_ERRNO.has(code) ||
    /^(08|57P0[123])/.test(code) ||
    ['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(code)
  );
}

export interface WaitOptions {
  /** First pause between attempts; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Stops waiting (shutdown during start-up). */
  signal?: AbortSignal;
}

/**
 * Runs `attempt` until it succeeds, pausing with capped exponential back-off after each
 * waitable failure and logging one line per attempt; a failure that waiting cannot fix
 * is thrown at once.
 */
export async function waitFor<T>(what: string, attempt: () => Promise<T>, log: Logger, opts: WaitOptions = {}): Promise<T> {
  const max = opts.maxDelayMs ?? 10_000;
  let delay = opts.initialDelayMs ?? 500;
  for (let n = 1; ; n++) {
    try {
      const result = await attempt();
      if (n > 1) log.info({ attempts: n }, `${what} reachable`);
      return result;
    } catch (err) {
      if (!isWaitable(err) || opts.signal?.aborted) throw err;
      const code = (err as { code?: string }).code;
      log.warn({ attempt: n, code, retryInMs: delay, reason: (err as Error).message }, `${what} not ready; waiting`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(max, delay * 2);
    }
  }
}

/**
 * A bare health endpoint for the port while the service waits for its dependencies:
 * `/healthz` answers 200 (alive: a liveness probe must not restart a pod that waits for
 * PostgreSQL), `/readyz` and everything else 503. Closed right before the service's own
 * server takes the port over (`Runtime.start`).
 */
export async function startStartupHealth(port: number, log: Logger): Promise<{ close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const alive = req.url === '/healthz';
    // No keep-alive: the service's own server takes the port over soon.
    res.writeHead(alive ? 200 : 503, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify(alive ? { ok: true } : { ready: false, starting: true }));
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (err) => {
      // The port is taken (a test's fixed port, say): start-up goes on; the real server reports then.
      log.warn({ err, port }, 'start-up health endpoint not listening');
      resolve(false);
    });
    server.listen({ host: '0.0.0.0', port }, () => resolve(true));
  });
  return {
    close: () =>
      listening
        ? new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          })
        : Promise.resolve(),
  };
}
