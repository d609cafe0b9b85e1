import type { Logger } from './logger';

export interface Shutdown {
  /** Registers a step; steps run in registration order. */
  add(name: string, step: () => Promise<unknown> | unknown): void;
  /** True once shutdown began (readiness fails from then on). */
  readonly stopping: boolean;
  run(reason: string): Promise<void>;
}

/**
 * Ordered, run-once shutdown on SIGTERM/SIGINT: register steps in the order they must
 * run (fail readiness, stop consumers, finish in-flight work, drain NATS, close SQL).
 * A hard deadline exits the process if a step hangs, so the pod never outlives its grace.
 */
export function createShutdown(log: Logger, deadlineMs = 9000, exit: (code: number) => void = process.exit): Shutdown {
  const steps: Array<{ name: string; step: () => Promise<unknown> | unknown }> = [];
  let running: Promise<void> | null = null;
  const s: Shutdown = {
    add: (name, step) => void steps.push({ name, step }),
    get stopping() {
      return running !== null;
    },
    run(reason) {
      if (running) return running;
      running = (async () => {
        log.info({ reason }, 'shutting down');
        const timer = setTimeout(() => {
          log.error('shutdown deadline passed; exiting');
          exit(1);
        }, deadlineMs);
        timer.unref();
        for (const { name, step } of steps) {
          try {
            await step();
          } catch (err) {
            log.error({ err, step: name }, 'shutdown step failed');
          }
        }
        clearTimeout(timer);
        log.info('shutdown complete');
        log.flush?.();
      })();
      return running;
    },
  };
  return s;
}

/** Wires SIGTERM/SIGINT to the shutdown and exits when it completes. */
export function onSignals(shutdown: Shutdown, exit: (code: number) => void = process.exit): void {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => void shutdown.run(sig).then(() => exit(0)));
  }
}
