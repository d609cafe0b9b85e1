import { createLogger } from './logger';

/**
 * Runs a service's start-up; a failure (bad config, unreachable database) is logged as one
 * structured fatal line, secrets scrubbed, and the process exits 1 for its supervisor to
 * restart it — instead of an unhandled rejection's raw stack.
 */
export function runMain(service: string, start: () => Promise<unknown>): void {
  start().catch((err: unknown) => {
    createLogger(service, process.env.LOG_LEVEL ?? 'info').fatal({ err }, `${service} failed to start`);
    process.exit(1);
  });
}
