import { installCrashGuard } from './crash-guard';
import { createLogger } from './logger';

/**
 * Runs a service's start-up; a failure (bad config, unreachable database) is logged as one
 * structured fatal line, secrets scrubbed, and the process exits 1 for its supervisor to
 * restart it — instead of an unhandled rejection's raw stack. Waiting for PostgreSQL and
 * NATS is not a failure: the runtime waits for them (runtime.ts).
 */
export function runMain(service: string, start: () => Promise<unknown>): void {
  // The driver's broken-connection errors escaping its timers must not kill the service.
  installCrashGuard(createLogger(service, process.env.LOG_LEVEL ?? 'info'));
  start().catch((err: unknown) => {
    createLogger(service, process.env.LOG_LEVEL ?? 'info').fatal({ err }, `${service} failed to start`);
    process.exit(1);
  });
}
