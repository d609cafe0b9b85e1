import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
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

  it('the same connection reconnects and answers the next query', async () => {
    sql = postgres({
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username) || 'postgres',
      database: url.pathname.slice(1) || 'postgres',
      max: 1,
      connect_timeout: 3,
      onnotice: () => undefined,
      // The test holds each socket, so it can kill one at an exact moment.
      socket: async () => {
        const s = tcpConnect(Number(url.port || 5432), url.hostname);
        await once(s, 'connect');
        sockets.push(s);
        return s;
      },
    });
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
});
