import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fairOrder, type Waiting } from '../domain/fair-queue';
import { createSubmitConsumer } from '../handlers/submit-consumer';
import { ctx, setupInfra, submitCommand } from '../../test/testing';
import { claimForSubmit, fairQueue } from './tasks-repo';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());
beforeEach(async () => {
  await env.sql`delete from tasks`;
  await env.sql`delete from seller_turns`;
});

const lease = 60_000;
const t0 = Date.parse('2026-12-01T17:00:00Z');

let seed = 11;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
}

/** Queues `count` videos of one order through the real submit consumer, at `at`. */
async function queueOrder(seller: number, count: number, at: number, from = 1): Promise<Waiting[]> {
  const handler = createSubmitConsumer({ sql: env.sql, defaultModel: 'kling-3.0/video', clock: () => at });
  const orderId = crypto.randomUUID();
  const out: Waiting[] = [];
  for (let index = from; index <= count; index++) {
    const cmd = submitCommand({ orderId, seller, index });
    await handler(cmd, ctx());
    out.push({ id: cmd.data.jobId, seller: String(seller), order: orderId, index, queuedAt: at });
  }
  return out;
}

describe('the claim query orders the queue as fairOrder does', () => {
  it('on random queues, including sellers with turns already taken', async () => {
    for (let trial = 0; trial < 12; trial++) {
      await env.sql`delete from tasks`;
      await env.sql`delete from seller_turns`;
      const waiting: Waiting[] = [];
      const sellers = 1 + rnd(6);
      for (let s = 0; s < sellers; s++)
        for (let o = 0; o <= rnd(3); o++)
          waiting.push(...(await queueOrder(1000 + s, 1 + rnd(5), t0 + rnd(50) * 1000, 1 + rnd(2))));
      const served = new Map<string, number>();
      for (let s = 0; s < sellers; s++) {
        if (rnd(2) === 0) continue;
        const turn = rnd(10_000);
        served.set(String(1000 + s), turn);
        await env.sql`insert into seller_turns (seller, last_turn) values (${String(1000 + s)}, ${turn})`;
      }
      const now = new Date(t0 + 3_600_000);
      expect(await fairQueue(env.sql, now)).toEqual(fairOrder(waiting, served).map((w) => w.id));
    }
  });
});

describe('fair share through the claim path', () => {
  /** Claims one row at a time until none is due; the job ids in claim order. */
  async function drain(now: Date): Promise<string[]> {
    const order: string[] = [];
    for (;;) {
      const rows = await claimForSubmit(env.sql, { now, limit: 1, leaseMs: lease });
      if (rows.length === 0) return order;
      order.push(rows[0]!.jobId);
    }
  }

  it.each([
    // Claims the heavy seller already had when the other seller confirms.
    [7, 'while its first videos are still queued'],
    [12, 'while its later videos are queued'],
  ])(
    'a seller with 10 orders of 5 delays another seller’s first video by at most one turn (%i claims in, %s)',
    async (before) => {
      for (let o = 0; o < 10; o++) await queueOrder(1, 5, t0 + o);
      const now = new Date(t0 + 600_000);
      for (let i = 0; i < before; i++) await claimForSubmit(env.sql, { now, limit: 1, leaseMs: lease });
      const late = await queueOrder(2, 3, t0 + 100_000);
      const order = await drain(now);
      expect(order).toHaveLength(50 - before + 3);
      const at = late.map((w) => order.indexOf(w.id));
      // The first video waits for at most one of the heavy seller's turns...
      expect(at[0]).toBeLessThanOrEqual(1);
      // ...and, once every order's first video is out, each next one for at most one more.
      const firstsLeft = Math.max(0, 10 - before - 1);
      expect(at[1]! - at[0]!).toBeLessThanOrEqual(2 + firstsLeft);
      expect(at[2]! - at[1]!).toBeLessThanOrEqual(2);
    },
  );

  it('replicas claiming at once take disjoint rows, fairly between them', async () => {
    for (let o = 0; o < 10; o++) await queueOrder(1, 5, t0 + o);
    for (let s = 2; s <= 6; s++) await queueOrder(s, 1, t0 + 1000 + s);
    const now = new Date(t0 + 600_000);
    const batches = await Promise.all(
      [0, 1, 2].map(() => claimForSubmit(env.sql, { now, limit: 4, leaseMs: lease })),
    );
    const ids = batches.flat().map((r) => r.jobId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(12);
    // The five light sellers' only videos are all among the first twelve claimed.
    const sellers = batches.flat().map((r) => r.seller);
    for (const s of ['2', '3', '4', '5', '6']) expect(sellers).toContain(s);
  });
});
