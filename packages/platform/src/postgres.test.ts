import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { createEvent, type Envelope } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { connectPostgres, migrate, transaction, type Sql } from './postgres';
import { enqueue, startOutboxRelay } from './outbox';
import { processOnce } from './idempotency';
import { connectTestNats, createTestDatabase, eventually, silentLogger } from './testing';

const log = silentLogger();
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let sql: Sql;
let nc: NatsConnection;

beforeAll(async () => {
  db = await createTestDatabase('platform');
  sql = connectPostgres({ url: db.url, schema: 'svc', log });
  await migrate(sql, 'svc', [{ version: 1, name: 'things', up: 'create table things (id text primary key)' }], log);
  nc = await connectTestNats();
});
afterAll(async () => {
  await sql.end({ timeout: 2 });
  await nc.drain();
  await db.drop();
});

const event = (n: number) =>
  createEvent({ subject: 'notify.video.sent.v1', data: { ...validFixtures['notify.video.sent.v1'], messageId: n }, correlationId: 'o' });

describe('migrate', () => {
  it('applies each version once, even when run again', async () => {
    const migrations = [
      { version: 1, name: 'things', up: 'create table things (id text primary key)' },
      { version: 2, name: 'more', up: 'alter table things add column n int' },
    ];
    await migrate(sql, 'svc', migrations, log);
    await migrate(sql, 'svc', migrations, log);
    const rows = await sql`select version from schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('refuses duplicate versions', async () => {
    await expect(
      migrate(sql, 'svc', [{ version: 9, name: 'a', up: 'select 1' }, { version: 9, name: 'b', up: 'select 1' }], log),
    ).rejects.toThrow(/duplicate/);
  });
});

describe('processOnce', () => {
  it('runs the effect once per (consumer, event id) and rolls back with it', async () => {
    const effect = (id: string) => (tx: Sql) => tx`insert into things (id) values (${id})`;
    const first = await processOnce(sql, { durable: 'c1' }, 'e1', effect('a'));
    const second = await processOnce(sql, { durable: 'c1' }, 'e1', effect('b'));
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    await expect(
      processOnce(sql, { durable: 'c1' }, 'e2', async (tx) => {
        await effect('c')(tx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    // The failed attempt left no "processed" mark: a retry runs the effect.
    expect((await processOnce(sql, { durable: 'c1' }, 'e2', effect('c'))).duplicate).toBe(false);
    const ids = (await sql`select id from things order by id`).map((r) => r.id);
    expect(ids).toEqual(['a', 'c']);
  });
});

describe('outbox', () => {
  it('publishes only committed events, each once, in order', async () => {
    const published: Envelope[] = [];
    const relay = await startOutboxRelay({ sql, schema: 'svc', log, publish: async (e) => void published.push(e), pollIntervalMs: 50 });
    try {
      const [a, b, c] = [event(1), event(2), event(3)];
      await transaction(sql, (tx) => enqueue(tx, a, b));
      await expect(
        transaction(sql, async (tx) => {
          await enqueue(tx, c);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow();
      await transaction(sql, (tx) => enqueue(tx, a)); // same id again: no-op
      await eventually(() => published.length >= 2);
      await relay.flush();
      expect(published.map((e) => e.id)).toEqual([a.id, b.id]);
    } finally {
      await relay.stop();
    }
  });

  it('keeps an event pending while publishing fails and delivers it later', async () => {
    let fail = true;
    const published: string[] = [];
    const relay = await startOutboxRelay({
      sql,
      schema: 'svc',
      log,
      pollIntervalMs: 50,
      publish: async (e) => {
        if (fail) throw new Error('nats down');
        published.push(e.id);
      },
    });
    try {
      const e = event(4);
      await transaction(sql, (tx) => enqueue(tx, e));
      await new Promise((r) => setTimeout(r, 200));
      expect(published).toEqual([]);
      fail = false;
      await eventually(() => published.includes(e.id));
    } finally {
      await relay.stop();
    }
  });
});
