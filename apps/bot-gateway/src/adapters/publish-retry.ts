import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope } from '@neurocards/contracts';
import type { Publish } from '@neurocards/platform';

/**
 * Publishes until JetStream acknowledges, or gives up at `deadlineMs`. Every attempt carries
 * the same event id (`Nats-Msg-Id`), so attempts that all land (one timed out on our side but
 * reached the stream) are one message: the server drops the repeats within its duplicate
 * window. A NATS restart of a few seconds is ridden out: the client reconnects and the next
 * attempt gets its ack. Throws the last error when the deadline passes.
 */
export async function publishUntilAcked(
  publish: Publish,
  event: Envelope,
  opts: { deadlineMs: number; onRetry?: (attempt: number, err: unknown) => void },
): Promise<void> {
  const deadline = Date.now() + opts.deadlineMs;
  let lastErr: unknown = new Error('publish deadline passed before the first attempt');
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) throw lastErr;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ack from JetStream within ${opts.deadlineMs} ms`)), left);
    });
    const attemptP = publish(event);
    // An attempt still pending at the deadline may land later: harmless, the id is the same.
    attemptP.catch(() => undefined);
    try {
      await Promise.race([attemptP, expired]);
      return;
    } catch (err) {
      lastErr = err;
      opts.onRetry?.(attempt, err);
    } finally {
      clearTimeout(timer);
    }
    const pause = Math.min(1000, 100 * 2 ** (attempt - 1), Math.max(0, deadline - Date.now()));
    await sleep(pause);
  }
}
