import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { Registry } from 'prom-client';
import { createEvent, deadSubject, type ConsumerDef } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { registerConsumerMetrics, registerOutboxMetrics } from './collectors';
import { jetstream, jetstreamManager, provisionConsumers, provisionStreams } from './nats';
import { enqueue } from './outbox';
import { transaction } from './postgres';
import { connectTestNats, createTestSchema, metricSample as sample, silentLogger, uniqueName, type TestSchema } from './testing';

const subject = 'notify.video.sent.v1' as const;
let nc: NatsConnection;
let db: TestSchema;

beforeAll(async () => {
  nc = await connectTestNats();
  await provisionStreams(await jetstreamManager(nc), 1);
  db = await createTestSchema(uniqueName('collectors'), []);
});
afterAll(async () => {
  await nc.drain();
  await db.close();
});

describe('consumer metrics', () => {
  it('report pending, ack pending and parked messages of the service\'s own consumers from JetStream', async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const def: ConsumerDef & { subject: typeof subject } = { durable: uniqueName('metrics'), subject, maxDeliver: 3, ackWaitSeconds: 30 };
    const missing = { durable: uniqueName('absent'), subject };
    await provisionConsumers(jsm, 'NOTIFY', [def], { onlyNew: true });
    try {
      const registry = new Registry();
      registerConsumerMetrics({ registry, log: silentLogger(), jsm, service: 'notifier', consumers: [def, missing], maxAgeMs: 0 });

      const before = await registry.metrics();
      expect(sample(before, 'neurocards_dead_messages', { consumer: def.durable })).toBe(0);
      const base = sample(before, 'neurocards_consumer_pending', { consumer: def.durable }) ?? 0;

      const data = validFixtures[subject];
      for (let i = 0; i < 3; i++) {
        const e = createEvent({ subject, data, correlationId: uniqueName('order'), causationId: null });
        await js.publish(subject, JSON.stringify(e), { msgID: e.id });
      }
      // One message taken and not acked: ack pending.
      const c = await js.consumers.get('NOTIFY', def.durable);
      const m = await c.next({ expires: 5000 });
      expect(m).not.toBeNull();
      // Two parked by this consumer, one by another.
      await js.publish(deadSubject(def.durable, subject), 'x');
      await js.publish(deadSubject(def.durable, subject), 'y');
      await js.publish(deadSubject(missing.durable, subject), 'z');

      const after = await registry.metrics();
      // Other tests may publish on the shared stream too: at least ours are counted.
      expect(sample(after, 'neurocards_consumer_pending', { consumer: def.durable })).toBeGreaterThanOrEqual(base + 2);
      expect(sample(after, 'neurocards_consumer_ack_pending', { consumer: def.durable })).toBe(1);
      expect(sample(after, 'neurocards_dead_messages', { consumer: def.durable })).toBe(2);
      expect(sample(after, 'neurocards_dead_messages', { consumer: missing.durable })).toBe(1);
      // A consumer that does not exist has no pending count (rather than a false 0).
      expect(sample(after, 'neurocards_consumer_pending', { consumer: missing.durable })).toBeUndefined();
      m!.ack();
    } finally {
      await jsm.consumers.delete('NOTIFY', def.durable).catch(() => undefined);
      for (const d of [def.durable, missing.durable]) await jsm.streams.purge('DEAD', { filter: deadSubject(d, '>') });
    }
  });
});

describe('outbox metrics', () => {
  it('report the unpublished rows and the age of the oldest, 0 once drained', async () => {
    const registry = new Registry();
    registerOutboxMetrics({ registry, log: silentLogger(), sql: db.sql, maxAgeMs: 0 });
    let text = await registry.metrics();
    expect(sample(text, 'neurocards_outbox_pending')).toBe(0);
    expect(sample(text, 'neurocards_outbox_lag_seconds')).toBe(0);

    const data = validFixtures[subject];
    await transaction(db.sql, (tx) =>
      enqueue(tx, createEvent({ subject, data, correlationId: 'o', causationId: null }), createEvent({ subject, data, correlationId: 'o', causationId: null })),
    );
    await db.sql`update outbox set created_at = now() - interval '90 seconds' where seq = (select min(seq) from outbox)`;
    text = await registry.metrics();
    expect(sample(text, 'neurocards_outbox_pending')).toBe(2);
    expect(sample(text, 'neurocards_outbox_lag_seconds')).toBeGreaterThanOrEqual(90);

    await db.sql`update outbox set published_at = now()`;
    text = await registry.metrics();
    expect(sample(text, 'neurocards_outbox_pending')).toBe(0);
    expect(sample(text, 'neurocards_outbox_lag_seconds')).toBe(0);
  });
});
