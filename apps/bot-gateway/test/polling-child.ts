import { createRuntime } from '@neurocards/platform';
import { loadConfig } from '../src/config';
import { createGateway } from '../src/gateway';

/**
 * bot-gateway in polling mode as a process of its own, so the crash test can SIGKILL it.
 * `STALL_HANDLING=1`: the handling of every update hangs at its first step, so the process
 * dies holding updates it fetched (and Telegram considers confirmed) but never handled.
 */
const env = process.env;
const rt = await createRuntime({
  service: 'bot-gateway',
  config: { NATS_URL: env.NATS_URL!, NATS_REPLICAS: 1, LOG_LEVEL: env.TEST_LOG_LEVEL ?? 'silent' },
  httpPort: 0,
  handleSignals: false,
});
const config = loadConfig({
  BOT_TOKEN: env.BOT_TOKEN!,
  TELEGRAM_API_ROOT: env.TELEGRAM_API_ROOT!,
  BOT_MODE: 'polling',
  NATS_URL: env.NATS_URL!,
});
const gateway = await createGateway(config, rt, {
  updatesDurable: env.UPDATES_DURABLE!,
  updatesAckWaitSeconds: 2,
  ...(env.STALL_HANDLING === '1'
    ? { wrapDedup: () => ({ claim: () => new Promise<boolean>(() => undefined), release: async () => undefined }) }
    : {}),
});
await rt.start();
await gateway.start();
process.stdout.write('ready\n');
