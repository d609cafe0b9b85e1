import type { Logger } from './logger';

export interface Loop {
  /** Runs a tick soon instead of waiting out the interval (new work arrived). */
  wake(): void;
  /** Stops after the tick in hand finishes. */
  stop(): Promise<void>;
}

export interface LoopOptions {
  /** Names the loop in logs. */
  name: string;
  /** Sleep between ticks when there is no more work and nobody wakes the loop. */
  intervalMs: number;
  /** One round of work; true when more is waiting, so the next round starts at once. */
  tick: () => Promise<boolean>;
  log: Logger;
}

/**
 * The one sleep/wake loop of the workspace: runs `tick` until stopped. A tick that reports
 * more work runs again at once; otherwise the loop sleeps `intervalMs` or until woken.
 * Ticks never overlap, so a slow round is not stacked on. A failing tick is logged and
 * retried after the interval: the loops keep their state in Postgres or KV, so nothing is lost.
 */
export function startLoop(o: LoopOptions): Loop {
  const log = o.log.child({ loop: o.name });
  let stopped = false;
  let wake: (() => void) | null = null;
  // A wake() during a tick must not be lost while no sleep is there to cut short.
  let woken = false;

  const done = (async () => {
    while (!stopped) {
      let more = false;
      woken = false;
      try {
        more = await o.tick();
      } catch (err) {
        log.error({ err }, 'loop tick failed; retrying after the interval');
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
      log.debug('loop stopped');
    },
  };
}
