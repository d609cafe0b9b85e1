import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';

/** Where the simulators' logs go: stdout as JSON unless the sandbox formats them (LOG_FORMAT). */
let logStream: { write(line: string): void } | undefined;
export function setSimLogStream(stream: { write(line: string): void } | undefined): void {
  logStream = stream;
}

/**
 * A fastify app that takes JSON (an empty JSON body counts as `{}`, as clients like grammY send it
 * for parameterless calls) and form-urlencoded bodies, as the real APIs do.
 */
export function baseApp(opts: { bodyLimit?: number; logLevel?: string; name?: string } = {}): FastifyInstance {
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 80 * 1024 * 1024,
    logger: {
      level: opts.logLevel ?? process.env.SIM_LOG_LEVEL ?? 'warn',
      base: { service: opts.name ?? 'simulator' },
      ...(logStream ? { stream: logStream } : {}),
    },
    forceCloseConnections: true,
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      (err as { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  return app;
}
