/* eslint-disable no-console -- this test prints the burst times (it asserts counts and limits, never times). */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@neurocards/platform/testing';
import { startWorld, type World } from '../test/flow-world';
import { ctx, submitCommand } from '../test/testing';

/**
 * A burst of 300 videos from TWO dispatcher replicas (two createDispatcher instances sharing
 * NATS KV and Postgres) against the simulator's per-account limit. KIE's window is 10 s; here
 * it is scaled to KIE_BURST_WINDOW_MS (default 1 s, the same 20 per window on both sides) so
 * the file runs in seconds; set KIE_BURST_WINDOW_MS=10000 for the real scale (minutes). The
 * test asserts the limits and counts, never the times (it prints them).
 */
const WINDOW_MS = Number(process.env.KIE_BURST_WINDOW_MS ?? 1000);
const BURST = Number(process.env.KIE_BURST_SIZE ?? 300);

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function burst(keys: Array<{ name: string; secret: string; account: string }>) {
  const rate = { limit: 20, windowMs: WINDOW_MS };
  const w = (world = await startWorld({
    keys,
    latencyMs: 200,
    // Enough credits for the whole burst (a Kling 3.0 video costs the account about 90).
    simOptions: { credits: 1_000_000 },
    sim: { rateLimit: { tasks: rate.limit, windowMs: rate.windowMs }, lostCallbackRate: 0 },
    config: { KIE_SUBMIT_RATE: rate },
    loops: false,
  }));
  // The second replica: same database, same KV buckets and prefix, its own loops.
  const replica = w.env.dispatcher({
    config: w.d.config,
    kie: w.d.kie,
    submitIntervalMs: 50,
    pollIntervalMs: 50,
  });
  const photo = await w.env.putPhoto();
  const orderId = submitCommand().data.orderId;
  for (let i = 0; i < BURST; i++) {
    const cmd = submitCommand({
      orderId,
      photo: { objectKey: photo, mimeType: 'image/jpeg', sizeBytes: 8, fileUniqueId: 'u1' },
    });
    await w.d.handlers['kie.task.submit.v1'](cmd, ctx('kie.task.submit.v1', { log: w.env.log }));
  }
  const started = Date.now();
  w.d.startLoops();
  replica.startLoops();
  try {
    await eventually(
      async () => {
        const [r] = await w.env.sql<{ n: number }[]>`
        select count(*)::int as n from tasks where state = 'succeeded'`;
        return r!.n === BURST || null;
      },
      Number(process.env.KIE_BURST_TIMEOUT_MS ?? 240_000),
    );
  } catch (err) {
    // Where it stuck, for the failure report.
    const states = await w.env
      .sql`select state, last_error_class, count(*)::int as n from tasks group by 1, 2`;
    console.log(
      'stuck',
      JSON.stringify(states),
      JSON.stringify(w.sim.accountStats()),
      JSON.stringify(await w.d.stats()),
    );
    throw err;
  } finally {
    await replica.stopLoops();
  }
  return { w, ms: Date.now() - started };
}

describe(`a burst of ${BURST} videos from two replicas`, { timeout: 600_000 }, () => {
  let oneAccountMs = 0;

  it('three keys of ONE account: the account never sees more than 20 new tasks per window, and no 429', async () => {
    const { w, ms } = await burst([
      { name: 'k1', secret: 'sk-1', account: 'acct' },
      { name: 'k2', secret: 'sk-2', account: 'acct' },
      { name: 'k3', secret: 'sk-3', account: 'acct' },
    ]);
    oneAccountMs = ms;
    const stats = w.sim.accountStats().acct!;
    expect(stats.created).toBe(BURST);
    expect(stats.maxInWindow).toBeLessThanOrEqual(20);
    expect(stats.rateLimited).toBe(0);
    // The work spread over the account's keys.
    for (const k of ['k1', 'k2', 'k3']) expect(w.creates()[k]).toBeGreaterThan(0);
    console.log(`burst of ${BURST}, one account (3 keys), window ${WINDOW_MS} ms: ${ms} ms`);
  });

  it('three keys in three accounts: each account within its own limit (about three times faster)', async () => {
    const { w, ms } = await burst([
      { name: 'k1', secret: 'sk-1', account: 'acct1' },
      { name: 'k2', secret: 'sk-2', account: 'acct2' },
      { name: 'k3', secret: 'sk-3', account: 'acct3' },
    ]);
    const stats = w.sim.accountStats();
    let created = 0;
    for (const a of ['acct1', 'acct2', 'acct3']) {
      expect(stats[a]!.maxInWindow).toBeLessThanOrEqual(20);
      expect(stats[a]!.rateLimited).toBe(0);
      expect(stats[a]!.created).toBeGreaterThan(0);
      created += stats[a]!.created;
    }
    expect(created).toBe(BURST);
    console.log(
      `burst of ${BURST}, three accounts, window ${WINDOW_MS} ms: ${ms} ms (one account: ${oneAccountMs} ms)`,
    );
  });
});
