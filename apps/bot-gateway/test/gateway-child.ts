import { createRuntime } from '@neurocards/platform';
import { loadConfig } from '../src/config';
import type { UpdateDedup } from '../src/adapters/update-dedup';
import { createGateway } from '../src/gateway';

/**
 * bot-gateway in polling mode as a process of its own, so the crash test can SIGKILL it.
 * `STALL_HANDLING=1`: the handling of every update hangs at its first step, so the process
 * dies holding updates it fetched (and Telegram considers confirmed) but never handled.
 * `STALL_HANDLING=after-claim`: each update is claimed in `bot_updates` first, so the process
 * dies leaving `processing` claims behind.
 * `BOT_MODE=webhook` (with PUBLIC_BASE_URL, TELEGRAM_WEBHOOK_SECRET, HTTP_PORT): the same
 * gateway behind a webhook.
 */
const env = process.env;
const rt = await createRuntime({
  service: 'bot-gateway',
  config: { NATS_URL: env.NATS_URL!, NATS_REPLICAS: 1, LOG_LEVEL: env.TEST_LOG_LEVEL ?? 'silent' },
  httpPort: Number(env.HTTP_PORT ?? 0),
  handleSignals: false,
});
const config = loadConfig({
  BOT_TOKEN: env.BOT_TOKEN!,
  TELEGRAM_API_ROOT: env.TELEGRAM_API_ROOT!,
  BOT_MODE: env.BOT_MODE ?? 'polling',
  NATS_URL: env.NATS_URL!,
  ...(env.BOT_MODE === 'webhook'
    ? {
        PUBLIC_BASE_URL: env.PUBLIC_BASE_URL!,
        TELEGRAM_WEBHOOK_SECRET: env.TELEGRAM_WEBHOOK_SECRET!,
        HTTP_PORT: env.HTTP_PORT!,
      }
    : {}),
});
const gateway = await createGateway(config, rt, {
  ...(env.UPDATES_DURABLE ? { updatesDurable: env.UPDATES_DURABLE } : {}),
  updatesAckWaitSeconds: 2,
  ...(env.STALL_HANDLING === '1'
    ? { wrapDedup: () => ({ claim: () => new Promise<never>(() => undefined) }) }
    : env.STALL_HANDLING === 'after-claim'
      ? {
          wrapDedup: (real: UpdateDedup) => ({
            // The claim is written (`processing`), then the handling hangs until the process is killed.
            claim: async (id: number, update: unknown) => {
              await real.claim(id, update);
              return new Promise<never>(() => undefined);
            },
          }),
        }
      : {}),
});
await rt.start();
await gateway.start();
process.stdout.write('ready\n');
