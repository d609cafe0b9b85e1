import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, PermanentError, transaction, type Sql } from '@neurocards/platform';
import { nextUserId, setupBillingDb } from '../../test/support';
import { auditLedger, grant, readAccount, reserve, settle, GrantConflictError } from './ledger';
import { migrations, SCHEMA } from './migrations';

let env: Awaited<ReturnType<typeof setupBillingDb>>;
let sql: Sql;

beforeAll(async () => {
  // A pool wider than the burst below, so the reservations really run at the same time.
  env = await setupBillingDb(40);
  sql = env.sql;
});
afterAll(() => env.close());

const tx = <T>(fn: (tx: Sql) => Promise<T>) => transaction(sql, fn);
const give = (userId: number, amount: number) =>
  tx((t) => grant(t, { grantId: randomUUID(), userId, amount, grantedBy: 'test' }));

/** `balance = grants − captured − held`, computed from the ledger rows alone. */
async function ledgerBalance(userId: number) {
  const [r] = await sql<{ grants: number; captured: number; held: number }[]>`
    select coalesce(sum(amount) filter (where kind = 'grant'), 0)::int as grants,
           coalesce(sum(amount) filter (where kind = 'capture'), 0)::int as captured,
           (coalesce(sum(amount) filter (where kind = 'hold'), 0)
            - coalesce(sum(amount) filter (where kind in ('capture', 'release')), 0))::int as held
    from ledger where user_id = ${userId}`;
  return { ...r!, balance: r!.grants - r!.captured - r!.held };
}

describe('migrations', () => {
  it('apply once, even when run again', async () => {
    await migrate(sql, SCHEMA, migrations, env.log);
    const rows = await sql`select version from schema_migrations`;
    expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
  });

  it('keep the ledger append-only', async () => {
    const userId = nextUserId();
    await give(userId, 1);
    await expect(sql`update ledger set amount = 100 where user_id = ${userId}`).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from ledger where user_id = ${userId}`).rejects.toThrow(/append-only/);
    expect((await readAccount(sql, userId)).balance).toBe(1);
  });

  it('refuse a negative balance even if code tried to write one', async () => {
    const userId = nextUserId();
    await give(userId, 1);
    await expect(sql`update accounts set held = 2 where user_id = ${userId}`).rejects.toThrow(
      /balance_not_negative/,
    );
  });
});

describe('concurrent reservations of one user', () => {
  it('never spend the same credits twice', async () => {
    const userId = nextUserId();
    await give(userId, 10);
    const results = await Promise.all(
      Array.from({ length: 30 }, () => tx((t) => reserve(t, { orderId: randomUUID(), userId, count: 1 }))),
    );
    expect(results.filter((r) => r.outcome === 'reserved')).toHaveLength(10);
    expect(results.filter((r) => r.outcome === 'rejected')).toHaveLength(20);
    // Each reservation saw the balance left by the ones before it: 9, 8, … 0.
    const remaining = results.flatMap((r) => (r.outcome === 'reserved' ? [r.balance] : []));
    expect(remaining.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 0, held: 10 });
    expect(await ledgerBalance(userId)).toEqual({ grants: 10, captured: 0, held: 10, balance: 0 });
  });

  it('of mixed sizes hold exactly what the balance covered', async () => {
    const userId = nextUserId();
    await give(userId, 12);
    const counts = Array.from({ length: 24 }, (_, i) => [1, 3, 5][i % 3]!);
    const results = await Promise.all(
      counts.map((count) => tx((t) => reserve(t, { orderId: randomUUID(), userId, count }))),
    );
    const held = results.reduce((s, r) => s + (r.outcome === 'reserved' ? r.amount : 0), 0);
    expect(held).toBeLessThanOrEqual(12);
    // Anything still rejected was rejected for a real shortfall at its turn.
    for (const r of results) if (r.outcome === 'rejected') expect(r.requested).toBeGreaterThan(r.balance);
    const account = await readAccount(sql, userId);
    expect(account).toMatchObject({ held, balance: 12 - held });
    expect(await ledgerBalance(userId)).toMatchObject({ held, balance: 12 - held });
    expect(await auditLedger(sql)).toEqual([]);
  });
});

describe('settle', () => {
  it('refuses an unknown order as a permanent error', async () => {
    const err = await tx((t) =>
      settle(t, { orderId: randomUUID(), jobId: randomUUID(), how: 'capture' }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
  });

  it('refuses to settle beyond the hold and leaves the balance alone', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    await give(userId, 3);
    await tx((t) => reserve(t, { orderId, userId, count: 1 }));
    await tx((t) => settle(t, { orderId, jobId: randomUUID(), how: 'capture' }));
    await expect(tx((t) => settle(t, { orderId, jobId: randomUUID(), how: 'release' }))).rejects.toThrow(
      /fully settled/,
    );
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 2, held: 0, captured: 1 });
  });

  it('settles a job once, and refuses a second, different outcome for it', async () => {
    const userId = nextUserId();
    const orderId = randomUUID();
    const jobId = randomUUID();
    await give(userId, 3);
    await tx((t) => reserve(t, { orderId, userId, count: 3 }));
    expect(await tx((t) => settle(t, { orderId, jobId, how: 'release', reason: 'exhausted' }))).toEqual({
      duplicate: false,
      userId,
      balance: 1,
      amount: 1,
    });
    expect(await tx((t) => settle(t, { orderId, jobId, how: 'release' }))).toMatchObject({ duplicate: true });
    await expect(tx((t) => settle(t, { orderId, jobId, how: 'capture' }))).rejects.toBeInstanceOf(
      PermanentError,
    );
    expect(await readAccount(sql, userId)).toMatchObject({ balance: 1, held: 2, captured: 0 });
  });
});

describe('grant', () => {
  it('applies a grantId once and refuses reuse for another user', async () => {
    const userId = nextUserId();
    const grantId = randomUUID();
    const g = { grantId, userId, amount: 4, grantedBy: 42 };
    expect(await tx((t) => grant(t, g))).toEqual({ applied: true, userId, balance: 4 });
    expect(await tx((t) => grant(t, g))).toEqual({ applied: false, userId, balance: 4 });
    await expect(tx((t) => grant(t, { ...g, userId: nextUserId() }))).rejects.toBeInstanceOf(
      GrantConflictError,
    );
    expect((await readAccount(sql, userId)).granted).toBe(4);
  });
});

describe('invariant', () => {
  it('balance = grants − captured − held after every step, for every account', async () => {
    const userId = nextUserId();
    const orderA = randomUUID();
    const orderB = randomUUID();
    const steps: Array<(t: Sql) => Promise<unknown>> = [
      (t) => grant(t, { grantId: randomUUID(), userId, amount: 7, grantedBy: 'welcome' }),
      (t) => reserve(t, { orderId: orderA, userId, count: 5 }),
      (t) => settle(t, { orderId: orderA, jobId: randomUUID(), how: 'capture' }),
      (t) => reserve(t, { orderId: orderB, userId, count: 3 }), // rejected: 2 left
      (t) => settle(t, { orderId: orderA, jobId: randomUUID(), how: 'release', reason: 'billing' }),
      (t) => reserve(t, { orderId: orderB, userId, count: 3 }), // already decided: stays rejected
      (t) => grant(t, { grantId: randomUUID(), userId, amount: 1, grantedBy: 42 }),
      (t) => settle(t, { orderId: orderA, jobId: randomUUID(), how: 'capture' }),
    ];
    for (const step of steps) {
      await tx(step);
      const stored = await readAccount(sql, userId);
      const fromLedger = await ledgerBalance(userId);
      expect({ balance: stored.balance, held: stored.held }).toEqual({
        balance: fromLedger.balance,
        held: fromLedger.held,
      });
      expect(stored.balance).toBeGreaterThanOrEqual(0);
    }
    expect(await readAccount(sql, userId)).toMatchObject({ granted: 8, captured: 2, held: 2, balance: 4 });
    expect(await auditLedger(sql)).toEqual([]);
  });

  it('the audit notices totals that drifted from the ledger', async () => {
    const userId = nextUserId();
    await give(userId, 5);
    await sql`update accounts set granted = granted + 1 where user_id = ${userId}`;
    expect(await auditLedger(sql)).toEqual([{ userId, problems: ['granted: stored 6, ledger 5'] }]);
    await sql`update accounts set granted = granted - 1 where user_id = ${userId}`;
  });
});
