import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent } from '@neurocards/contracts';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { grantCredits, lastBotMessageId, orderVideos } from '../src/seller';
import { eventsOf, storedEvents } from '../src/events';

/**
 * Any replica count is safe (RUNBOOK.md, "Why any replica count is safe"): three processes
 * of each consumer service (billing, orchestrator, kie-dispatcher, notifier) on one NATS and
 * one PostgreSQL, several sellers ordering at once. bot-gateway stays one process: in
 * polling mode only one may call getUpdates (Telegram answers a second one with 409
 * Conflict); it scales in webhook mode.
 *
 * No double work, measured where it would cost: each video's KIE task created once (the KIE
 * simulator's createTask count), each video sent to its chat once (the Telegram simulator),
 * each credit held and captured once (the ledger), and no event published twice by the
 * outbox relays, pollers or schedulers (every stored event id once).
 */
const SELLERS = [7_500_001, 7_500_002, 7_500_003, 7_500_004];
const VIDEOS = 3;

describe('three replicas of every consumer service', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Twelve processes with a database: replicas × pool must stay under the server's
    // max_connections (100 by default), as in production (RUNBOOK.md, scaling).
    stack = await startStack({
      kieLatencyMs: 1500,
      replicas: 3,
      // As in production: the topology provisioned by the deploy-time CLI, services only check it.
      provision: 'check',
      env: { DATABASE_POOL_SIZE: '4', BILLING_DB_POOL_SIZE: '4' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('several sellers’ orders complete, and nothing is done twice', async () => {
    expect(stack.replicaProcesses).toHaveLength(8);
    for (const s of SELLERS) await grantCredits(stack, ADMIN_ID, s, 10);
    const marks = new Map(SELLERS.map((s) => [s, lastBotMessageId(stack, s)]));
    await Promise.all(SELLERS.map((userId) => orderVideos(stack, { userId, languageCode: 'en' }, VIDEOS)));

    const placed = await eventually(async () => {
      const p = (await eventsOf(stack.nc, 'orders.order.placed.v1')).filter((e) => SELLERS.includes(e.data.userId));
      return p.length === SELLERS.length ? p : null;
    }, 30_000);
    const orderIds = placed.map((p) => p.data.orderId);
    const completed = await eventually(
      async () => {
        const c = (await eventsOf(stack.nc, 'jobs.order.completed.v1')).filter((e) => orderIds.includes(e.data.orderId));
        return c.length === orderIds.length ? c : null;
      },
      120_000,
      500,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await stack.diagnose()}`);
    });
    for (const c of completed) expect(c.data).toMatchObject({ count: VIDEOS, delivered: VIDEOS, failed: 0 });
    const total = SELLERS.length * VIDEOS;

    // KIE: one createTask per video, across three dispatchers sharing the key pool.
    const createTasks = Object.values(stack.kie.requestCounts()).reduce((n, c) => n + (c.createTask ?? 0), 0);
    expect(createTasks).toBe(total);
    expect(stack.kie.tasks()).toHaveLength(total);

    // Telegram: three videos per chat, one accepted sendVideo per video, and no message twice.
    await eventually(() => SELLERS.every((s) => stack.tg.botMessages(s).filter((m) => m.kind === 'video').length >= VIDEOS), 30_000);
    const sendVideos = stack.tg.apiCalls().filter((c) => c.method === 'sendVideo' && c.status === 200);
    expect(sendVideos).toHaveLength(total);
    // The order summary is the last message: wait for it before comparing texts.
    const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => undefined });
    try {
      await eventually(async () => {
        const [r] = await sql<{ n: number }[]>`
          select count(*)::int as n from notifier.deliveries
           where status = 'sent' and message_key = any(${orderIds.map((o) => `order:${o}:summary`)})`;
        return r!.n === orderIds.length;
      }, 30_000);
      for (const s of SELLERS) {
        const after = stack.tg.botMessages(s).filter((m) => m.messageId > marks.get(s)!);
        expect(after.filter((m) => m.kind === 'video')).toHaveLength(VIDEOS);
        const texts = after.filter((m) => m.kind !== 'video').map((m) => m.text ?? m.caption ?? '');
        expect(new Set(texts).size, `chat ${s}: ${JSON.stringify(texts)}`).toBe(texts.length);
      }

      // Billing: one hold per order, one capture per video, none released; balances exact.
      const ledger = await sql<{ kind: string; n: number; jobs: number; amount: number }[]>`
        select kind, count(*)::int as n, count(distinct job_id)::int as jobs, sum(amount)::int as amount
          from billing.ledger where order_id = any(${orderIds}) group by kind order by kind`;
      const byKind = Object.fromEntries(ledger.map((l) => [l.kind, l]));
      expect(byKind.hold?.n).toBe(orderIds.length);
      expect(byKind.capture).toMatchObject({ n: total, jobs: total });
      expect(byKind.release).toBeUndefined();
      const price = byKind.capture!.amount / total;
      for (const s of SELLERS)
        expect(await requestRpc(stack.nc, 'billing.balance.get', { userId: s })).toMatchObject({
          balance: 10 - VIDEOS * price,
          held: 0,
        });

      // The dispatcher: one attempt per job; the saga: one job per video, each delivered once.
      const [attempts] = await sql<{ n: number; jobs: number }[]>`
        select count(*)::int as n, count(distinct a.job_id)::int as jobs
          from kie.attempts a join kie.tasks t using (job_id) where t.order_id = any(${orderIds})`;
      expect(attempts).toEqual({ n: total, jobs: total });
      const [jobs] = await sql<{ n: number; delivered: number }[]>`
        select count(*)::int as n, count(*) filter (where state = 'delivered')::int as delivered
          from orchestrator.jobs where order_id = any(${orderIds})`;
      expect(jobs).toEqual({ n: total, delivered: total });
    } finally {
      await sql.end();
    }

    // Outbox relays, pollers and schedulers: every event of these orders stored once, and
    // the events that mark a piece of work happen once per video or order.
    const all: AnyEvent[] = [];
    for (const stream of ['ORDERS', 'BILLING', 'JOBS', 'KIE', 'NOTIFY'])
      all.push(...(await storedEvents(stack.nc, stream)).filter((e) => orderIds.includes(e.correlationId)));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const count = (type: string) => all.filter((e) => e.type === type).length;
    const perJob = (type: string) => new Set(all.filter((e) => e.type === type).map((e) => (e.data as { jobId: string }).jobId)).size;
    for (const type of [
      'jobs.prompt.requested.v1',
      'kie.task.submit.v1',
      'kie.task.submitted.v1',
      'kie.task.succeeded.v1',
      'jobs.video.ready.v1',
      'notify.video.sent.v1',
      'jobs.video.delivered.v1',
      'billing.credits.captured.v1',
    ]) {
      expect(count(type), type).toBe(total);
      expect(perJob(type), type).toBe(total);
    }
    for (const type of ['billing.credits.reserved.v1', 'jobs.generation.started.v1', 'jobs.order.completed.v1'])
      expect(count(type), type).toBe(orderIds.length);

    // The work was shared: more than one orchestrator process handled messages.
    const handled = await Promise.all(
      [
        { name: 'orchestrator', port: stack.ports.orchestrator },
        ...stack.replicaProcesses.filter((p) => p.name === 'orchestrator'),
      ].map(async (p) => {
        const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
        return text
          .split('\n')
          .filter((l) => l.startsWith('neurocards_messages_total{') && l.includes('outcome="ok"'))
          .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      }),
    );
    process.stdout.write(`orchestrator messages handled per process: ${handled.join(', ')}\n`);
    expect(handled.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });
});
