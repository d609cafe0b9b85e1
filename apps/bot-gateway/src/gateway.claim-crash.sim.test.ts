import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { openKv, type Runtime } from '@neurocards/platform';
import { eventually, freePort, TEST_NATS_URL, uniqueName } from '@neurocards/platform/testing';
import { startTelegramSim, type SimMessage, type SimUser, type TelegramSim } from '@neurocards/sandbox';
import { loadConfig } from './config';
import { createGateway } from './gateway';
import { t } from './i18n';
import { createTestRuntime, startGatewayChild } from '../test/support';

/**
 * Issue 7, "a crash at any line loses no update": a gateway SIGKILLed after claiming an
 * update in `bot_updates` and before finishing it leaves the claim `processing`. The claim
 * is a lease: once it runs out, the redelivery — Telegram's (webhook mode) or the UPDATES
 * consumer's (polling mode) — takes it over and the update is answered, exactly once.
 */

const SECRET = 'sim_claim-crash-secret';
const LEASE_MS = 2000;
const isHelp = (m: SimMessage) => m.text?.startsWith(t('en', 'help').slice(0, 20)) ?? false;
const isNothingToCancel = (m: SimMessage) => m.text === t('en', 'nothingToCancel');

let sim: TelegramSim | null = null;
let rt: Runtime | null = null;
let child: ChildProcess | null = null;
let durable: string | null = null;

afterEach(async () => {
  child?.kill('SIGKILL');
  child = null;
  if (durable) await rt?.jsm.consumers.delete('UPDATES', durable).catch(() => undefined);
  durable = null;
  await rt?.shutdown.run('test done');
  rt = null;
  await sim?.close();
  sim = null;
});

const startChild = (env: Record<string, string>): Promise<ChildProcess> =>
  startGatewayChild({ NATS_URL: TEST_NATS_URL, STALL_HANDLING: 'after-claim', ...env });

async function kill(c: ChildProcess): Promise<void> {
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

/** Waits until the child has claimed each update (written its claim): it dies holding them. */
async function waitForClaims(nc: Runtime['nc'], updateIds: number[]): Promise<void> {
  const kv = await openKv(nc, 'bot_updates', 1);
  await eventually(async () => {
    for (const id of updateIds) {
      const e = await kv.get(String(id));
      if (!e || e.operation !== 'PUT') return false;
    }
    return true;
  }, 20_000);
}

const newSim = () =>
  startTelegramSim({ token: `${7_300_000_000 + Math.floor(Math.random() * 1e8)}:AAH-claim-crash-token` });
const seller = (base: number): SimUser => ({
  userId: base + Math.floor(Math.random() * 100_000),
  firstName: 'Seller',
  languageCode: 'en',
});

const newRuntime = (httpPort: number): Promise<Runtime> => createTestRuntime(TEST_NATS_URL, httpPort);

/** After the restart: the update was answered once, and a later redelivery changes nothing. */
async function expectAnsweredOnce(s: TelegramSim, user: SimUser, updateId: number): Promise<void> {
  await s.waitForBotMessage(user.userId, isHelp, 30_000);
  await s.redeliver(updateId);
  // A marker after everything: once it is answered, any repeat would have been too.
  await s.userSends(user, { text: '/cancel' });
  await s.waitForBotMessage(user.userId, isNothingToCancel, 30_000);
  expect(s.botMessages(user.userId).map((m) => (isHelp(m) ? 'help' : isNothingToCancel(m) ? 'cancel' : m.text))).toEqual([
    'help',
    'cancel',
  ]);
}

describe('an update claimed by a gateway killed mid-handling', () => {
  it('webhook mode: Telegram redelivers it, and it is handled once after the lease', async () => {
    sim = await newSim();
    const port = await freePort();
    const webhookEnv = {
      BOT_MODE: 'webhook',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      HTTP_PORT: String(port),
    };
    child = await startChild({ ...webhookEnv, BOT_TOKEN: sim.token, TELEGRAM_API_ROOT: sim.apiRoot });
    const user = seller(830_000_000);
    const { updateId } = await sim.userSends(user, { text: '/help' });
    rt = await newRuntime(port);
    await waitForClaims(rt.nc, [updateId]);
    await kill(child);
    child = null;
    expect(sim.botMessages(user.userId)).toEqual([]);

    // A fresh gateway on the same address: Telegram keeps redelivering to it.
    const config = loadConfig({ ...webhookEnv, BOT_TOKEN: sim.token, TELEGRAM_API_ROOT: sim.apiRoot, NATS_URL: TEST_NATS_URL });
    const gateway = await createGateway(config, rt, { updateLeaseMs: LEASE_MS });
    await rt.start();
    await gateway.start();

    await expectAnsweredOnce(sim, user, updateId);
  }, 90_000);

  it('polling mode: the UPDATES consumer redelivers it, and it is handled once after the lease', async () => {
    sim = await newSim();
    durable = uniqueName('gw_claim_crash');
    child = await startChild({ BOT_TOKEN: sim.token, TELEGRAM_API_ROOT: sim.apiRoot, UPDATES_DURABLE: durable });
    const user = seller(840_000_000);
    const { updateId } = await sim.userSends(user, { text: '/help' });
    rt = await newRuntime(0);
    await waitForClaims(rt.nc, [updateId]);
    await kill(child);
    child = null;
    expect(sim.botMessages(user.userId)).toEqual([]);

    const config = loadConfig({
      BOT_TOKEN: sim.token,
      TELEGRAM_API_ROOT: sim.apiRoot,
      BOT_MODE: 'polling',
      NATS_URL: TEST_NATS_URL,
    });
    const gateway = await createGateway(config, rt, {
      updatesDurable: durable,
      updatesAckWaitSeconds: 2,
      updateLeaseMs: LEASE_MS,
    });
    await rt.start();
    await gateway.start();

    await expectAnsweredOnce(sim, user, updateId);
  }, 90_000);
});
