import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from './runtime';
import { isWaitable } from './startup';
import { eventually, freePort, privatePostgres, TEST_NATS_URL, type PrivatePostgres } from './testing';

describe('isWaitable', () => {
  it('waits for PostgreSQL down, restarting or starting up; not for what waiting cannot fix', () => {
    expect(isWaitable({ code: 'ECONNREFUSED' })).toBe(true);
    expect(isWaitable({ code: '57P03', message: 'the database system is starting up' })).toBe(true);
    expect(isWaitable({ code: '57P01' })).toBe(true);
    expect(isWaitable({ code: '08006' })).toBe(true);
    expect(isWaitable({ code: 'CONNECTION_CLOSED' })).toBe(true);
    expect(isWaitable(Object.assign(new AggregateError([{ code: 'ECONNREFUSED' }]), { code: undefined }))).toBe(true);
    expect(isWaitable({ code: '28P01' })).toBe(false); // bad password
    expect(isWaitable({ code: '3D000' })).toBe(false); // no such database
    expect(isWaitable({ code: '42601' })).toBe(false); // a broken migration
    expect(isWaitable(new Error('boom'))).toBe(false);
  });
});

describe('start-up while PostgreSQL is down', () => {
  let pg: PrivatePostgres;
  beforeAll(async () => {
    pg = await privatePostgres();
  });
  afterAll(async () => {
    await pg?.destroy();
  });

  it('waits with /healthz 200 and /readyz 503, then becomes ready when PostgreSQL comes up', async () => {
    await pg.stop();
    const port = await freePort();
    const get = async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status;
    let failed: unknown = null;
    let rt: Runtime | null = null;
    const starting = createRuntime({
      service: 'billing',
      config: { NATS_URL: TEST_NATS_URL, NATS_REPLICAS: 1, LOG_LEVEL: 'silent' },
      httpPort: port,
      handleSignals: false,
      database: { url: pg.url, schema: 'waits', migrations: [{ version: 1, name: 't', up: 'create table t (id int)' }] },
    }).then(
      (r) => (rt = r),
      (err: unknown) => (failed = err),
    );
    try {
      // Alive and not ready while it waits; it does not give up.
      await eventually(async () => (await get('/healthz')) === 200);
      expect(await get('/readyz')).toBe(503);
      expect(failed).toBeNull();

      // No waiting for readiness: the first connections meet "the database system is starting up".
      await pg.start({ wait: false });
      await starting;
      expect(failed).toBeNull();
      await rt!.start();
      expect(await get('/readyz')).toBe(200);
      const [row] = await rt!.sql!<{ n: number }[]>`select count(*)::int as n from schema_migrations`;
      expect(row!.n).toBe(1);
    } finally {
      await pg.start().catch(() => undefined);
      await starting;
      await (rt as Runtime | null)?.shutdown.run('test over');
    }
  }, 60_000);
});

