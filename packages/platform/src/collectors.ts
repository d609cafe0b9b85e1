import type { JetStreamManager } from '@nats-io/jetstream';
import { Gauge, type Registry } from 'prom-client';
import { consumers as topology, streamOf, type ServiceName, type Subject } from '@neurocards/contracts';
import type { Logger } from './logger';
import { cached, metricOf } from './metrics';
import type { Sql } from './postgres';

/**
 * Gauges read at scrape time from JetStream and PostgreSQL (docs/design.md, "Metrics").
 * Each source is loaded at most once per `maxAgeMs` and a scrape waits for it at most
 * `timeoutMs` (`cached`), so a slow NATS or database never hangs `/metrics`.
 */
export interface CollectorOptions {
  registry: Registry;
  log: Logger;
  maxAgeMs?: number;
  timeoutMs?: number;
}

interface ConsumerCounts {
  pending: Map<string, number>;
  ackPending: Map<string, number>;
  dead: Map<string, number>;
}

/** The DEAD subject `dead.<durable>.<original subject>` names its consumer (durables have no dots). */
export const deadConsumerOf = (subject: string): string | undefined => subject.split('.')[1];

/**
 * `neurocards_consumer_pending`, `neurocards_consumer_ack_pending` and
 * `neurocards_dead_messages` for the service's own consumers (the topology's). A consumer
 * not created yet is left out; DEAD is counted per subject (`subjects_filter`), one call.
 */
export function registerConsumerMetrics(
  o: CollectorOptions & {
    jsm: JetStreamManager;
    service: ServiceName;
    /** Default: the service's consumers in the topology (tests pass their own). */
    consumers?: readonly { durable: string; subject: Subject }[];
  },
): void {
  const defs: readonly { durable: string; subject: Subject }[] = o.consumers ?? topology[o.service];
  if (defs.length === 0) return;
  const own = new Set(defs.map((d) => d.durable));
  const log = o.log.child({ module: 'metrics' });
  const load = cached<ConsumerCounts>(
    async () => {
      const pending = new Map<string, number>();
      const ackPending = new Map<string, number>();
      await Promise.all(
        defs.map(async (d) => {
          const info = await o.jsm.consumers.info(streamOf(d.subject), d.durable).catch(() => null);
          if (!info) return;
          pending.set(d.durable, info.num_pending);
          ackPending.set(d.durable, info.num_ack_pending);
        }),
      );
      const dead = new Map<string, number>();
      const info = await o.jsm.streams.info('DEAD', { subjects_filter: 'dead.>' }).catch((err) => {
        log.warn({ err }, 'reading DEAD for the metrics failed');
        return null;
      });
      if (info) for (const d of own) dead.set(d, 0);
      for (const [subject, n] of Object.entries(info?.state.subjects ?? {})) {
        const durable = deadConsumerOf(subject);
        if (durable && own.has(durable)) dead.set(durable, (dead.get(durable) ?? 0) + n);
      }
      return { pending, ackPending, dead };
    },
    {
      maxAgeMs: o.maxAgeMs ?? 10_000,
      timeoutMs: o.timeoutMs ?? 2000,
      onError: (err) => log.warn({ err }, 'reading consumer metrics from JetStream failed'),
    },
  );
  const gauge = (name: string, help: string, pick: (c: ConsumerCounts) => Map<string, number>) =>
    metricOf(
      o.registry,
      name,
      () =>
        new Gauge({
          name,
          help,
          labelNames: ['consumer'],
          registers: [o.registry],
          async collect() {
            const c = await load();
            // No current reading (the source failed for too long): no series, not a frozen one.
            this.reset();
            if (!c) return;
            for (const [consumer, n] of pick(c)) this.set({ consumer }, n);
          },
        }),
    );
  gauge('neurocards_consumer_pending', 'JetStream num_pending of each of the service\'s consumers', (c) => c.pending);
  gauge('neurocards_consumer_ack_pending', 'JetStream num_ack_pending of each of the service\'s consumers', (c) => c.ackPending);
  gauge('neurocards_dead_messages', 'Messages parked in DEAD by each of the service\'s consumers', (c) => c.dead);
}

/**
 * `neurocards_outbox_pending` and `neurocards_outbox_lag_seconds` (age of the oldest
 * unpublished row, 0 when none), from the service's own outbox. The query reads only
 * unpublished rows, through the partial index `outbox_unpublished`.
 */
export function registerOutboxMetrics(o: CollectorOptions & { sql: Sql }): void {
  const log = o.log.child({ module: 'metrics' });
  const load = cached(
    async () => {
      const [r] = await o.sql<{ n: number; lag: number }[]>`
        select count(*)::int as n,
               coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as lag
        from outbox where published_at is null`;
      return { pending: r?.n ?? 0, lag: Math.max(0, r?.lag ?? 0) };
    },
    {
      maxAgeMs: o.maxAgeMs ?? 5000,
      timeoutMs: o.timeoutMs ?? 2000,
      onError: (err) => log.warn({ err }, 'reading outbox metrics failed'),
    },
  );
  metricOf(
    o.registry,
    'neurocards_outbox_pending',
    () =>
      new Gauge({
        name: 'neurocards_outbox_pending',
        help: 'Outbox rows not yet published to JetStream',
        registers: [o.registry],
        async collect() {
          const v = await load();
          // No current reading: NaN (a gap), not the last value or a reassuring 0.
          this.set(v ? v.pending : Number.NaN);
        },
      }),
  );
  metricOf(
    o.registry,
    'neurocards_outbox_lag_seconds',
    () =>
      new Gauge({
        name: 'neurocards_outbox_lag_seconds',
        help: 'Age of the oldest unpublished outbox row (0 when the outbox is drained)',
        registers: [o.registry],
        async collect() {
          const v = await load();
          this.set(v ? v.lag : Number.NaN);
        },
      }),
  );
}
