/**
 * Platform throughput on this machine's real NATS JetStream and PostgreSQL:
 *  1. outbox → JetStream relay: events/s from commit to stream ack;
 *  2. consumer runner with an idempotent Postgres transaction per message, at several
 *     concurrencies: messages/s and handler latency percentiles.
 * Prints figures; asserts nothing. Run: pnpm --filter @neurocards/platform bench
 */
import { createEvent } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { jetstream, jetstreamManager, provisionConsumers, provisionStreams } from '../src/nats';
import { connectPostgres, migrate, transaction } from '../src/postgres';
import { enqueue, startOutboxRelay } from '../src/outbox';
import { processOnce } from '../src/idempotency';
import { createPublisher } from '../src/publish';
import { startConsumer } from '../src/consumer';
import { connectTestNats, createTestDatabase, silentLogger, uniqueName } from '../src/testing';

const N = Number(process.env.BENCH_MESSAGES ?? 3000);
const log = silentLogger();
const out = (s: string) => process.stdout.write(`${s}\n`);
const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const db = await createTestDatabase('bench');
const sql = connectPostgres({ url: db.url, schema: 'bench', log, max: 20 });
await migrate(sql, 'bench', [{ version: 1, name: 't', up: 'create table effects (id text primary key)' }], log);
const nc = await connectTestNats();
const jsm = await jetstreamManager(nc);
await provisionStreams(jsm, 1);
const js = jetstream(nc);
const publish = createPublisher(js);
const run = uniqueName('bench');
const subject = 'notify.video.sent.v1' as const;
const event = (i: number) =>
  createEvent({ subject, data: { ...validFixtures[subject], messageId: i }, correlationId: `${run}-${i}` });

try {
  // 1. Outbox relay.
  let published = 0;
  const relay = await startOutboxRelay({ sql, schema: 'bench', log, publish: async (e) => (await publish(e), void published++) });
  const t0 = performance.now();
  for (let i = 0; i < N; i += 50) {
    await transaction(sql, (tx) => enqueue(tx, ...Array.from({ length: Math.min(50, N - i) }, (_, k) => event(i + k))));
  }
  while (published < N) await new Promise((r) => setTimeout(r, 20));
  const secs = (performance.now() - t0) / 1000;
  await relay.stop();
  out(`outbox relay: ${N} events committed (50/tx) and published in ${secs.toFixed(2)} s = ${Math.round(N / secs)} events/s`);

  // 2. Consumer runner with an idempotent transaction per message.
  for (const concurrency of [1, 8, 32]) {
    const durable = uniqueName('bench');
    const def = { durable, subject, maxDeliver: 5, ackWaitSeconds: 30 };
    await provisionConsumers(jsm, 'NOTIFY', [def], { onlyNew: true });
    const latencies: number[] = [];
    let done = 0;
    const consumer = await startConsumer({
      js,
      stream: 'NOTIFY',
      def,
      log,
      concurrency,
      handler: async (ev) => {
        const t = performance.now();
        await processOnce(sql, { durable }, ev.id, (tx) => tx`insert into effects (id) values (${durable + ev.id})`);
        latencies.push(performance.now() - t);
        done++;
      },
    });
    const start = performance.now();
    await Promise.all(Array.from({ length: N }, (_, i) => publish(event(1_000_000 * concurrency + i))));
    while (done < N) await new Promise((r) => setTimeout(r, 20));
    const s = (performance.now() - start) / 1000;
    await consumer.stop();
    await jsm.consumers.delete('NOTIFY', durable);
    out(
      `consumer (concurrency ${String(concurrency).padStart(2)}): ${N} messages in ${s.toFixed(2)} s = ${Math.round(N / s)} msg/s; ` +
        `handler p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms`,
    );
  }
} finally {
  await sql.end({ timeout: 2 });
  await nc.drain();
  await db.drop();
}
