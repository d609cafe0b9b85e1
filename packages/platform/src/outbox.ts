import type { Envelope } from '@neurocards/contracts';
import type { Publish } from './publish';
import type { Sql } from './postgres';
import type { Logger } from './logger';
import { startLoop } from './loop';
import type { Metrics } from './metrics';

/**
 * Writes an event to the outbox inside the caller's transaction, next to the state
 * change it describes. The relay publishes it after commit; a crash in between loses
 * nothing. Writing the same event id twice is a no-op.
 */
export async function enqueue(tx: Sql, ...events: Envelope[]): Promise<void> {
  for (const e of events) {
    await tx`
      insert into outbox (id, subject, payload)
      values (${e.id}, ${e.type}, ${tx.json(e as never)})
      on conflict (id) do nothing`;
  }
  // The channel is per schema (the pool's search_path), so only this service's relay wakes.
  if (events.length > 0) await tx`select pg_notify('neurocards_outbox_' || current_schema(), '')`;
}

export interface OutboxRelayOptions {
  sql: Sql;
  schema: string;
  publish: Publish;
  log: Logger;
  metrics?: Metrics;
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (e.g. a notification lost during reconnect). */
  pollIntervalMs?: number;
  /** Published rows are deleted after this long. */
  retentionMs?: number;
}

export interface OutboxRelay {
  /** Publishes what is pending now; resolves with the count (tests and shutdown use it). */
  flush(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Relays committed outbox rows to JetStream in commit order, with `msgID` = event id.
 * Rows are claimed with `FOR UPDATE SKIP LOCKED`, so replicas share the work.
 */
export async function startOutboxRelay(opts: OutboxRelayOptions): Promise<OutboxRelay> {
  const { sql, publish, schema, metrics } = opts;
  const log = opts.log.child({ module: 'outbox' });
  const batchSize = opts.batchSize ?? 100;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const retentionMs = opts.retentionMs ?? 24 * 3600 * 1000;
  let running: Promise<number> | null = null;

  const relayOnce = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const n = await sql.begin(async (t) => {
        const tx = t as unknown as Sql;
        const rows = await tx<{ seq: string; payload: Envelope }[]>`
          select seq, payload from outbox
          where published_at is null
          order by seq
          limit ${batchSize}
          for update skip locked`;
        // Published together: one connection writes them in order, and if any fails the
        // batch stays pending and is re-published whole; the server drops the repeats by id.
        await Promise.all(rows.map((r) => publish(r.payload)));
        if (rows.length > 0) {
          await tx`update outbox set published_at = now() where seq in ${tx(rows.map((r) => r.seq))}`;
        }
        return rows.length;
      });
      total += n;
      metrics?.outboxPublished.inc({ schema }, n);
      if (n < batchSize) return total;
    }
  };

  // Serialises flushes: the loop and an explicit flush() never run concurrently.
  const flush = (): Promise<number> => {
    if (!running) running = relayOnce().finally(() => (running = null));
    return running;
  };

  // Created before LISTEN so a notification can wake it.
  let lastCleanup = 0;
  const loop = startLoop({
    name: 'outbox',
    intervalMs: pollIntervalMs,
    log,
    async tick() {
      await flush();
      if (Date.now() - lastCleanup > 60_000) {
        lastCleanup = Date.now();
        await sql`delete from outbox where published_at < now() - ${retentionMs / 1000} * interval '1 second'`;
      }
      return false;
    },
  });

  const listener = await sql.listen(`neurocards_outbox_${schema}`, () => loop.wake()).catch((err) => {
    log.warn({ err }, 'LISTEN failed; relying on polling');
    return null;
  });
  // Rows committed before LISTEN took effect raised no notification the loop could hear.
  loop.wake();

  return {
    flush,
    async stop() {
      await loop.stop();
      // Publish what committed in the meantime, so a clean stop leaves nothing pending.
      await flush().catch((err) => log.warn({ err }, 'final outbox flush failed; rows stay pending'));
      await listener?.unlisten().catch(() => undefined);
    },
  };
}
