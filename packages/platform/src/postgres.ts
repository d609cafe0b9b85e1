import postgres from 'postgres';
import type { Logger } from './logger';

/** A connection pool whose search_path is the service's own schema. */
export type Sql = postgres.Sql<Record<string, never>>;

export interface PostgresOptions {
  url: string;
  /** The schema the service owns; unqualified table names resolve to it. */
  schema: string;
  log: Logger;
  max?: number;
}

export function connectPostgres({ url, schema, log, max = 10 }: PostgresOptions): Sql {
  return postgres(url, {
    max,
    connection: { search_path: schema, application_name: schema },
    onnotice: (notice) => log.debug({ notice: notice.message }, 'postgres notice'),
    // Postgres' own connection errors name host and user, never the password.
    debug: false,
    transform: { undefined: null },
  }) as unknown as Sql;
}

/** Runs `fn` in a transaction; the tx has the same tagged-template API as the pool. */
export function transaction<T>(sql: Sql, fn: (tx: Sql) => Promise<T>): Promise<T> {
  return sql.begin((tx) => fn(tx as unknown as Sql)) as Promise<T>;
}

export interface Migration {
  version: number;
  name: string;
  up: string;
}

/** Tables the platform's outbox and idempotency helpers need in every service schema. */
const PLATFORM_DDL = `
create table if not exists schema_migrations (
  version int primary key,
  name text not null,
  applied_at timestamptz not null default now()
);
create table if not exists outbox (
  seq bigserial primary key,
  id text not null unique,
  subject text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index if not exists outbox_unpublished on outbox (seq) where published_at is null;
create table if not exists processed_events (
  consumer text not null,
  event_id text not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);
`;

/**
 * Applies the service's versioned migrations in one transaction under an advisory lock,
 * so replicas starting together migrate once. Already applied versions are skipped.
 */
export async function migrate(sql: Sql, schema: string, migrations: Migration[], log: Logger): Promise<void> {
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration versions in ${schema}`);
  await transaction(sql, async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${'migrate:' + schema}))`;
    await tx.unsafe(`create schema if not exists "${schema.replace(/"/g, '')}"`);
    await tx.unsafe(`set local search_path to "${schema.replace(/"/g, '')}"`);
    await tx.unsafe(PLATFORM_DDL);
    const applied = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      await tx.unsafe(m.up);
      await tx`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
      log.info({ schema, version: m.version, name: m.name }, 'migration applied');
    }
  });
}

/** Creates the database named in `url` when it does not exist (sandbox and tests). */
export async function ensureDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name: ${name}`);
  u.pathname = '/postgres';
  const admin = postgres(u.toString(), { max: 1, onnotice: () => undefined });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      await admin.unsafe(`create database "${name}"`).catch((err: { code?: string }) => {
        // 42P04: created concurrently by another process.
        if (err.code !== '42P04') throw err;
      });
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Drops a database (tests clean up after themselves). */
export async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  u.pathname = '/postgres';
  const admin = postgres(u.toString(), { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * How long a backend of ours may sit mid-statement waiting for the rest of it from us
 * (`state = 'active'`, `wait_event = 'ClientRead'`) before the reaper ends it. A statement's
 * messages arrive in microseconds; a minute means the client side lost them.
 */
export const STUCK_STATEMENT_AFTER_MS = 60_000;

/**
 * Ends this service's backends that wait for a statement's remaining messages from us for
 * longer than `afterMs`, and reports them. The `postgres` driver, after a socket dies, can
 * leave a connection that sent half a statement and never sends the rest (the chaos suite
 * saw it after PostgreSQL restarts: billing's and kie-dispatcher's outbox relays waited on
 * one for good, so their events were never published). Ending the backend closes the
 * socket, so the driver fails the stuck statement, its caller retries, and the connection
 * reconnects clean. A backend killed this way was doing nothing but waiting.
 */
export async function reapStuckStatements(
  sql: Sql,
  applicationName: string,
  afterMs = STUCK_STATEMENT_AFTER_MS,
): Promise<Array<{ pid: number; stuckSeconds: number; query: string }>> {
  // Materialised first: pg_terminate_backend must only ever see the rows that qualify.
  return sql<{ pid: number; stuckSeconds: number; query: string }[]>`
    with stuck as materialized (
      select pid, extract(epoch from now() - state_change)::int as stuck_seconds, left(query, 200) as query
      from pg_stat_activity
      where datname = current_database()
        and application_name = ${applicationName}
        and pid <> pg_backend_pid()
        and state = 'active' and wait_event_type = 'Client' and wait_event = 'ClientRead'
        and state_change < now() - ${afterMs / 1000} * interval '1 second'
    )
    select pid, stuck_seconds as "stuckSeconds", query from stuck where pg_terminate_backend(pid)`;
}
