import type { Logger } from '@neurocards/platform';

export interface Loop {
  /** Runs a tick soon instead of waiting out the interval (new work arrived). */
  wake(): void;
  /** Stops after the tick in hand finishes. */
  stop(): Promise<void>;
}

/**
 * Runs `tick` until stopped. A tick that reports more work runs again at once; otherwise
 * the loop sleeps `intervalMs` (or until woken). A failing tick is logged and retried after
 * the interval: the state it works on is in Postgres, so nothing is lost.
 */
export function startLoop(o: {
  name: string;
  intervalMs: number;
  tick: () => Promise<boolean>;
  log: Logger;
}): Loop {
  const log = o.log.child({ loop: o.name });
  let stopped = false;
  let wake: (() => void) | null = null;
  let woken = false;

  const done = (async () => {
    while (!stopped) {
      let more = false;
      woken = false;
      try {
        more = await o.tick();
      } catch (err) {
        log.error({ err }, 'loop tick failed');
      }
      if (stopped) break;
      if (more || woken) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, o.intervalMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  })();

  return {
    wake() {
      woken = true;
      wake?.();
    },
    async stop() {
      stopped = true;
      wake?.();
      await done;
      log.info('loop stopped');
    },
  };
}
