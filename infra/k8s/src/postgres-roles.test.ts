/**
 * The CloudNativePG bootstrap SQL (base/postgres/cluster.yaml) against a real PostgreSQL: each
 * service's role runs the service's real migrations in its own schema, and cannot read or
 * write another service's schema or `public`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { connectPostgres, createLogger, migrate, type Migration } from '@neurocards/platform';
import { migrations as billing } from '../../../apps/billing/src/adapters/migrations';
import { migrations as kie } from '../../../apps/kie-dispatcher/src/adapters/migrations';
import { migrations as notifier } from '../../../apps/notifier/src/adapters/migrations';
import { migrations as orchestrator } from '../../../apps/orchestrator/src/adapters/migrations';
import { bootstrapSql } from './generate';
import { SERVICES, SPEC } from './spec';

const MIGRATIONS: Record<string, Migration[]> = { billing, kie, notifier, orchestrator };
const base = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const suffix = `${process.pid}_${Date.now()}`;
const database = `k8s_roles_${suffix}`;
const role = (schema: string) => `k8s_${suffix}_${schema}`;
const schemas = SERVICES.flatMap((s) => (SPEC[s].schema ? [SPEC[s].schema] : []));
const urlAs = (user: string) => {
  const u = new URL(base);
  u.username = user;
  u.password = '';
  u.pathname = `/${database}`;
  return u.toString();
};

describe('PostgreSQL roles per service schema', () => {
  const admin = postgres(base.toString(), { max: 1, onnotice: () => undefined });
  beforeAll(async () => {
    await admin.unsafe(`create database ${database}`);
    const db = postgres(urlAs(base.username || 'postgres'), { max: 1, onnotice: () => undefined });
    try {
      for (const statement of bootstrapSql(role, database)) await db.unsafe(statement);
      // What `managed.roles` does once the cluster is up (the password comes from its Secret).
      for (const s of [...schemas, 'ops']) await db.unsafe(`alter role ${role(s)} login`);
    } finally {
      await db.end();
    }
  });
  afterAll(async () => {
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    for (const s of schemas) await admin.unsafe(`drop role if exists ${role(s)}`);
    await admin.unsafe(`drop role if exists ${role('ops')}`);
    await admin.end();
  });

  it('each role migrates its own schema and reaches no other', async () => {
    const log = createLogger('k8s-test', 'silent');
    for (const schema of schemas) {
      const sql = connectPostgres({ url: urlAs(role(schema)), schema, log, max: 1 });
      try {
        await migrate(sql, schema, MIGRATIONS[schema]!, log);
        const [{ n }] = (await sql`select count(*)::int as n from schema_migrations`) as unknown as [
          { n: number },
        ];
        expect(n).toBe(MIGRATIONS[schema]!.length);
        for (const other of schemas.filter((x) => x !== schema)) {
          await expect(sql.unsafe(`create table ${other}.intruder (id int)`)).rejects.toThrow(
            /permission denied/,
          );
        }
        await expect(sql.unsafe('create table public.intruder (id int)')).rejects.toThrow(
          /permission denied/,
        );
      } finally {
        await sql.end();
      }
    }
    // Each schema is owned by its role, and the tables the migrations made are the role's.
    const db = postgres(urlAs(base.username || 'postgres'), { max: 1, onnotice: () => undefined });
    try {
      const owners = await db<{ nspname: string; owner: string }[]>`
        select nspname, pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = any(${schemas})`;
      expect(Object.fromEntries(owners.map((o) => [o.nspname, o.owner]))).toEqual(
        Object.fromEntries(schemas.map((s) => [s, role(s)])),
      );
      const tables = await db<{ schemaname: string; tableowner: string }[]>`
        select schemaname, tableowner from pg_tables where schemaname = any(${schemas})`;
      expect(tables.length).toBeGreaterThan(schemas.length);
      for (const t of tables) expect(t.tableowner, `${t.schemaname}`).toBe(role(t.schemaname));
    } finally {
      await db.end();
    }
    // The operators' role reads every schema's tables (made after it, by the migrations) and writes none.
    const ops = postgres(urlAs(role('ops')), { max: 1, onnotice: () => undefined });
    try {
      for (const schema of schemas) {
        const [{ n }] = (await ops.unsafe(`select count(*)::int as n from ${schema}.schema_migrations`)) as unknown as [{ n: number }];
        expect(n, schema).toBe(MIGRATIONS[schema]!.length);
        await expect(ops.unsafe(`delete from ${schema}.schema_migrations`)).rejects.toThrow(/permission denied/);
      }
    } finally {
      await ops.end();
    }
  });
});
