import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { connect } from '@nats-io/transport-node';
import type { HandlerContext } from './consumer';
import { connectPostgres, dropDatabase, ensureDatabase, migrate, type Migration } from './postgres';
import { createLogger } from './logger';

/** Test-only helpers: real Postgres and NATS, isolated per test file. */

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A fresh database for one test file; `drop()` removes it. */
export async function createTestDatabase(prefix = 'test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${uniqueName(prefix)}`;
  const url = u.toString();
  await ensureDatabase(url);
  return { url, drop: () => dropDatabase(url) };
}

export async function connectTestNats() {
  return connect({ servers: TEST_NATS_URL.split(','), name: uniqueName('test') });
}

export const silentLogger = () => createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 50): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`, { cause: last });
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** A TCP port that was free a moment ago, for a server a test starts on a known port. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * A fresh database for one test file with a service's `schema` migrated, a pool on it
 * (`search_path` = the schema, as the service has) and `close()` to end the pool and drop
 * the database.
 */
export async function createTestSchema(schema: string, migrations: Migration[], opts: { poolSize?: number } = {}) {
  const db = await createTestDatabase(schema);
  const log = silentLogger();
  const sql = connectPostgres({ url: db.url, schema, log, max: opts.poolSize ?? 10 });
  await migrate(sql, schema, migrations, log);
  return {
    sql,
    log,
    url: db.url,
    async close() {
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}

export type TestSchema = Awaited<ReturnType<typeof createTestSchema>>;

/** The context a consumer hands its handler, for tests that call a handler directly. */
export function handlerContext(durable: string, over: Partial<Omit<HandlerContext, 'durable'>> = {}): HandlerContext {
  return { durable, log: silentLogger(), working: () => undefined, deliveryCount: 1, ...over };
}

/** A PostgreSQL cluster of its own that a test may stop, crash and start again. */
export interface PrivatePostgres {
  /** URL of its `postgres` database. */
  url: string;
  /** Starts the server; with `wait: false` it returns at once and connections meet "starting up" for a moment. */
  start(opts?: { wait?: boolean }): Promise<void>;
  /** `immediate` is a crash: no checkpoint, every connection cut. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * Where a PostgreSQL server binary is: PG_BIN if set, else the PATH, else Debian's versioned
 * directory (`/usr/lib/postgresql/<major>/bin`, not on the PATH after `apt install postgresql`).
 */
export function postgresBinary(name: 'initdb' | 'pg_ctl'): string {
  if (process.env.PG_BIN) return join(process.env.PG_BIN, name);
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, name))) return name;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin', name);
    if (existsSync(bin)) return bin;
  }
  throw new Error(`${name} not found in PG_BIN, on the PATH or in ${root}/*/bin`);
}

/**
 * Creates a throwaway cluster with `initdb` (see postgresBinary) on a free
 * port, in a temp directory, started. As root, the binaries run as the `postgres` user,
 * since PostgreSQL refuses to run as root.
 */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const { execFile } = await import('node:child_process');
  const { mkdtemp, rm, chown } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const run = (cmd: 'initdb' | 'pg_ctl', args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const bin = postgresBinary(cmd);
      const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
      execFile(file, argv, (err, _out, stderr) => (err ? reject(new Error(`${cmd} failed: ${stderr || err.message}`)) : resolve()));
    });
  const dir = await mkdtemp(join(tmpdir(), 'neurocards-pg-'));
  if (process.getuid?.() === 0) {
    const uid = await new Promise<number>((resolve, reject) =>
      execFile('id', ['-u', 'postgres'], (err, out) => (err ? reject(err) : resolve(Number(out.trim())))),
    );
    await chown(dir, uid, uid);
  }
  const port = await freePort();
  const data = join(dir, 'data');
  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  const pg: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: ({ wait = true } = {}) =>
      run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, '-l', join(dir, 'log'), wait ? '-w' : '-W', 'start']),
    stop: (mode = 'fast') => run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']),
    async destroy() {
      await pg.stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  return pg;
}

/** The value of one sample line `name{labels} value` of an exposition, or undefined. */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}
