import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export interface HttpOptions {
  log: Logger;
  metrics: Metrics;
  /** Ready to take traffic: dependencies connected and not shutting down. */
  isReady: () => boolean;
  bodyLimit?: number;
}

/** A fastify app with `/healthz`, `/readyz` and `/metrics`; services add their own routes. */
export function buildHttpServer({ log, metrics, isReady, bodyLimit }: HttpOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: log.child({ module: 'http' }),
    // Request logs would quote URLs with per-task tokens; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimit ?? 1024 * 1024,
    // Telegram and KIE keep connections alive; close() must not wait for them (handlers are
    // idempotent, so a request cut at shutdown is simply redelivered).
    forceCloseConnections: true,
  });
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    if (!isReady()) return reply.code(503).send({ ready: false });
    return { ready: true };
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  return app as unknown as FastifyInstance;
}
