import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { reapStuckStatements } from './postgres';
import { TEST_DATABASE_URL } from './testing';

/**
 * The `postgres` driver (3.4.9, patched in patches/postgres@3.4.9.patch) after a socket dies
 * with a small write still buffered: the chaos suite saw billing's connections hang for
 * good after a PostgreSQL restart (queries "active" at the server, which waited for the
 * rest of the message), so its outbox stopped and 18 orders never settled. The driver
 * cleared its write timer on close without resetting it, so the reconnected connection never
 * flushed a small write again (porsager/postgres#1154/#1208, PR #1209).
 */
describe('postgres driver after a socket dies mid-write', () => {
  const url = new URL(TEST_DATABASE_URL);
  const sockets: Socket[] = [];
  let sql: postgres.Sql | null = null;

  afterEach(async () => {
    await sql?.end({ timeout: 1 });
    sql = null;
  });

  const connect = () =>
    postgres({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username) || 'postgres',
      database: url.pathname.slice(1) || 'postgres',
      max: 1,
      connect_timeout: 3,
      onnotice: () => undefined,
      // The test holds each socket, so it can kill one at an exact moment. (The driver
      // takes a socket factory, src/connection.js createSocket; its types omit it.)
      ...({
        socket: async () => {
          const s = tcpConnect(Number(url.port || 5432), url.hostname);
          await once(s, 'connect');
          sockets.push(s);
          return s;
        },
      } as postgres.Options<Record<string, never>>),
    });

  it('the same connection reconnects and answers the next query', async () => {
    sql = connect();
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);

    // A small query's bytes wait for the next turn of the event loop (setImmediate) while
    // the socket's 'close' runs. Close callbacks run in the same loop phase, after the
    // immediates: a query started from another handle's close callback, just before the
    // database socket's, is in exactly that window. Handles close in an order libuv picks,
    // so one decoy closes before and one after the database socket.
    const doomed: Promise<unknown>[] = [];
    const decoy = async () => {
      const s = tcpConnect(Number(url.port || 5432), url.hostname);
      await once(s, 'connect');
      s.once('close', () => doomed.push(sql!`select 2 as two`.execute().catch(() => 'rejected')));
      return s;
    };
    const [before, after] = [await decoy(), await decoy()];
    before.destroy();
    sockets.at(-1)!.destroy();
    after.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(doomed).toHaveLength(2);
    await Promise.all(doomed);

    // The pool's only connection reconnects for the next query: it must be answered,
    // not hang until the connect timeout.
    const next = await Promise.race([
      sql`select 3 as three`.then((rows) => rows[0]),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 8000)),
    ]).catch((err: Error) => `failed: ${err.message}`);
    expect(next).toEqual({ three: 3 });
  }, 20_000);

  it('a transaction whose connection died mid-way fails, and the pool then answers with parameters', async () => {
    // The chaos suite's hang: the outbox relay's transaction lost its backend to a
    // PostgreSQL restart between two statements; its next statement was written to a
    // connection without a socket, and the reconnected connection then waited for good.
    sql = connect();
    const tx = sql.begin(async (t) => {
      await t`select 1 as one`;
      sockets.at(-1)!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      await t`select ${2}::int as two`;
    });
    await expect(tx).rejects.toThrow();
    const next = await Promise.race([
      sql`select ${3}::int as three`.then((rows) => rows[0]),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 8000)),
    ]).catch((err: Error) => `failed: ${err.message}`);
    expect(next).toEqual({ three: 3 });
  }, 20_000);

  it('the reaper ends a backend left waiting mid-statement, and only that one', async () => {
    // What a lost connection looks like from the server: startup done, then a Parse with no
    // Sync after it, so the backend waits in ClientRead with the statement "active".
    const app = `reaper_${process.pid}_${Date.now()}`;
    const raw = tcpConnect(Number(url.port || 5432), url.hostname);
    await once(raw, 'connect');
    const closed = once(raw, 'close');
    raw.on('error', () => undefined);
    raw.write(
      startupMessage({
        user: decodeURIComponent(url.username) || 'postgres',
        database: url.pathname.slice(1) || 'postgres',
        application_name: app,
      }),
    );
    await waitForReadyForQuery(raw);
    raw.write(parseMessage('select 1'));

    sql = connect();
    const idle = postgres({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username) || 'postgres',
      database: url.pathname.slice(1) || 'postgres',
      max: 1,
      connection: { application_name: app },
      onnotice: () => undefined,
    });
    try {
      await idle`select 1`; // an idle backend of the same application: never touched
      let reaped: Awaited<ReturnType<typeof reapStuckStatements>> = [];
      for (let i = 0; i < 50 && reaped.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        reaped = await reapStuckStatements(sql as never, app, 500);
      }
      expect(reaped).toHaveLength(1);
      expect(reaped[0]!.query).toBe('select 1');
      await closed;
      expect(await idle`select 2 as two`).toEqual([{ two: 2 }]);
    } finally {
      raw.destroy();
      await idle.end({ timeout: 1 });
    }
  }, 20_000);
});

/** A v3 StartupMessage (https://www.postgresql.org/docs/current/protocol-message-formats.html). */
function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.concat([
    ...Object.entries(params).flatMap(([k, v]) => [Buffer.from(`${k}\0`), Buffer.from(`${v}\0`)]),
    Buffer.from([0]),
  ]);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(196608, 4);
  return Buffer.concat([head, body]);
}

/** A Parse message for an unnamed statement without parameter types. */
function parseMessage(query: string): Buffer {
  const body = Buffer.concat([Buffer.from('\0'), Buffer.from(`${query}\0`), Buffer.from([0, 0])]);
  const head = Buffer.alloc(5);
  head.write('P', 0);
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

function waitForReadyForQuery(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    let seen = Buffer.alloc(0);
    const onData = (b: Buffer) => {
      seen = Buffer.concat([seen, b]);
      // ReadyForQuery: 'Z', length 5, status.
      if (seen.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
        s.off('data', onData);
        resolve();
      }
    };
    s.on('data', onData);
  });
}
