import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase } from './testing';

const FIXTURE = fileURLToPath(new URL('./migrate-only.fixture.ts', import.meta.url));
let db: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  db = await createTestDatabase('migrate_only');
});
afterAll(async () => {
  await db?.drop();
});

function run(): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', FIXTURE, '--migrate-only'], {
    env: { PATH: process.env.PATH, DATABASE_URL: db.url },
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => p.on('exit', (code) => resolve({ code, out })));
}

it('--migrate-only migrates the schema and exits 0 without NATS or HTTP; a second run too', async () => {
  const first = await run();
  expect(first.code, first.out).toBe(0);
  expect(first.out).toContain('migrations applied (--migrate-only)');
  const second = await run();
  expect(second.code, second.out).toBe(0);
  const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from migrate_only.widgets`;
    expect(row!.n).toBe(0);
    const versions = await sql<{ version: number }[]>`select version from migrate_only.schema_migrations`;
    expect(versions.map((v) => v.version)).toContain(1);
  } finally {
    await sql.end();
  }
});
