import type { Sql } from '@neurocards/platform';
import { auditLedger } from './ledger';

/**
 * Reconciliation of the billing books (`pnpm --filter @neurocards/billing reconcile`). Read
 * only. Each finding names the account it is about (`userId`), or `null` for a row that
 * belongs to no account's arithmetic. An empty list means the books are straight:
 *
 * - every account: `granted + purchased − refunded − captured − held = balance`, its stored
 *   totals equal the replay of its ledger, and nothing is negative;
 * - every hold: one hold row in the ledger, its captures and releases (one per job) add up to
 *   what the hold says was settled, the account's `held` is the sum of its holds' open parts,
 *   and an open part is covered by the order's live videos when the orchestrator's tables are
 *   in the same database (a hold still open when every video of its order has an outcome was
 *   never closed; one settled twice cannot exist: one ledger row per job, checked by an index);
 * - every Stars charge: exactly one purchase row in the ledger, for exactly its pack's credits
 *   and its buyer, and no purchase row without its charge;
 * - every refund: of a known charge, its parts add up to the charge's credits, and the ledger
 *   holds exactly one refund row for what it took back (none when it took back nothing).
 */
export interface Finding {
  userId: number | null;
  problem: string;
}

export async function reconcile(sql: Sql): Promise<Finding[]> {
  // One snapshot for every check: read on autocommit, a purchase or a capture committed between
  // two queries would look like a ledger that does not add up (billing runs meanwhile).
  return sql.begin('isolation level repeatable read read only', (tx) => check(tx as unknown as Sql)) as Promise<Finding[]>;
}

async function check(sql: Sql): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (userId: number | string | null, problem: string) =>
    findings.push({ userId: userId === null ? null : Number(userId), problem });

  // Accounts against their ledgers.
  for (const a of await auditLedger(sql)) for (const p of a.problems) add(a.userId, p);

  // Holds.
  const holds = await sql<
    { order_id: string; user_id: string; amount: number; captured: number; released: number; per_video: number; hold_rows: string; hold_amount: string | null; capture_sum: string | null; release_sum: string | null }[]
  >`
    select h.order_id, h.user_id, h.amount, h.captured, h.released, h.per_video,
      (select count(*) from ledger l where l.kind = 'hold' and l.order_id = h.order_id) as hold_rows,
      (select sum(amount) from ledger l where l.kind = 'hold' and l.order_id = h.order_id) as hold_amount,
      (select sum(amount) from ledger l where l.kind = 'capture' and l.order_id = h.order_id) as capture_sum,
      (select sum(amount) from ledger l where l.kind = 'release' and l.order_id = h.order_id) as release_sum
    from holds h order by h.order_id`;
  const openByUser = new Map<string, number>();
  for (const h of holds) {
    const order = `order ${h.order_id}`;
    if (Number(h.hold_rows) !== 1 || Number(h.hold_amount) !== h.amount)
      add(h.user_id, `${order}: ${h.hold_rows} hold rows for ${h.hold_amount ?? 0} credits, hold says ${h.amount}`);
    if (Number(h.capture_sum ?? 0) !== h.captured)
      add(h.user_id, `${order}: captured ${h.captured} on the hold, ${h.capture_sum ?? 0} in the ledger`);
    if (Number(h.release_sum ?? 0) !== h.released)
      add(h.user_id, `${order}: released ${h.released} on the hold, ${h.release_sum ?? 0} in the ledger`);
    if (h.captured + h.released > h.amount) add(h.user_id, `${order}: settled more than held`);
    openByUser.set(h.user_id, (openByUser.get(h.user_id) ?? 0) + h.amount - h.captured - h.released);
  }
  const stray = await sql<{ user_id: string; order_id: string; kind: string }[]>`
    select l.user_id, l.order_id, l.kind from ledger l
    where l.order_id is not null and not exists (select 1 from holds h where h.order_id = l.order_id)`;
  for (const s of stray) add(s.user_id, `${s.kind} row of order ${s.order_id}, which has no hold`);
  const accounts = await sql<{ user_id: string; held: string }[]>`select user_id, held from accounts`;
  for (const a of accounts) {
    const open = openByUser.get(a.user_id) ?? 0;
    if (Number(a.held) !== open) add(a.user_id, `held ${a.held}, but its holds have ${open} open`);
  }
  await checkHoldsAgainstJobs(sql, holds, add);

  // Charges.
  const charges = await sql<
    { charge_id: string; user_id: string; credits: number; rows: string; ledger_user: string | null; ledger_amount: string | null }[]
  >`
    select p.charge_id, p.user_id, p.credits,
      (select count(*) from ledger l where l.kind = 'purchase' and l.charge_id = p.charge_id) as rows,
      (select min(user_id) from ledger l where l.kind = 'purchase' and l.charge_id = p.charge_id) as ledger_user,
      (select sum(amount) from ledger l where l.kind = 'purchase' and l.charge_id = p.charge_id) as ledger_amount
    from purchases p order by p.charge_id`;
  for (const c of charges) {
    if (Number(c.rows) !== 1) add(c.user_id, `charge ${c.charge_id}: granted ${c.rows} times`);
    else if (Number(c.ledger_amount) !== c.credits || c.ledger_user !== c.user_id)
      add(c.user_id, `charge ${c.charge_id}: granted ${c.ledger_amount} to ${c.ledger_user}, the pack is ${c.credits} for ${c.user_id}`);
  }
  const orphanPurchases = await sql<{ user_id: string; charge_id: string }[]>`
    select user_id, charge_id from ledger l where kind = 'purchase'
      and not exists (select 1 from purchases p where p.charge_id = l.charge_id)`;
  for (const o of orphanPurchases) add(o.user_id, `purchase row of charge ${o.charge_id}, which is no known charge`);

  // Refunds.
  const refunds = await sql<
    { charge_id: string; user_id: string; credits: number; taken_back: number; not_taken_back: number; purchase_user: string | null; purchase_credits: number | null; rows: string; ledger_amount: string | null }[]
  >`
    select r.charge_id, r.user_id, r.credits, r.taken_back, r.not_taken_back,
      p.user_id as purchase_user, p.credits as purchase_credits,
      (select count(*) from ledger l where l.kind = 'refund' and l.charge_id = r.charge_id) as rows,
      (select sum(amount) from ledger l where l.kind = 'refund' and l.charge_id = r.charge_id) as ledger_amount
    from refunds r left join purchases p on p.charge_id = r.charge_id order by r.charge_id`;
  for (const r of refunds) {
    const what = `refund of charge ${r.charge_id}`;
    if (r.purchase_user === null) add(r.user_id, `${what}: no such charge`);
    else if (r.purchase_user !== r.user_id || r.purchase_credits !== r.credits)
      add(r.user_id, `${what}: does not match its charge (${r.purchase_credits} credits for ${r.purchase_user})`);
    if (r.taken_back + r.not_taken_back !== r.credits) add(r.user_id, `${what}: parts do not add up to ${r.credits}`);
    const expectedRows = r.taken_back > 0 ? 1 : 0;
    if (Number(r.rows) !== expectedRows || Number(r.ledger_amount ?? 0) !== r.taken_back)
      add(r.user_id, `${what}: took back ${r.taken_back}, the ledger has ${r.rows} rows for ${r.ledger_amount ?? 0}`);
  }
  const orphanRefunds = await sql<{ user_id: string; charge_id: string }[]>`
    select user_id, charge_id from ledger l where kind = 'refund'
      and not exists (select 1 from refunds r where r.charge_id = l.charge_id)`;
  for (const o of orphanRefunds) add(o.user_id, `refund row of charge ${o.charge_id}, which was never refunded`);

  return findings;
}

/**
 * When the orchestrator's schema shares the database (production, e2e), an open hold must be
 * covered by its order's videos still in work; a hold open for an order whose videos all have
 * an outcome was never closed. Orders the orchestrator does not know yet are left alone.
 */
async function checkHoldsAgainstJobs(
  sql: Sql,
  holds: Array<{ order_id: string; user_id: string; amount: number; captured: number; released: number; per_video: number }>,
  add: (userId: string, problem: string) => void,
): Promise<void> {
  const [exists] = await sql<{ t: string | null }[]>`select to_regclass('orchestrator.jobs')::text as t`;
  if (!exists?.t) return;
  const open = holds.filter((h) => h.amount - h.captured - h.released > 0);
  if (open.length === 0) return;
  const rows = await sql<{ order_id: string; live: string; total: string }[]>`
    select order_id, count(*) filter (where state not in ('delivered', 'failed')) as live, count(*) as total
    from orchestrator.jobs where order_id = any(${open.map((h) => h.order_id)}) group by order_id`;
  const byOrder = new Map(rows.map((r) => [r.order_id, r]));
  for (const h of open) {
    const jobs = byOrder.get(h.order_id);
    if (!jobs) continue;
    const openCredits = h.amount - h.captured - h.released;
    if (Number(jobs.live) * h.per_video < openCredits)
      add(h.user_id, `order ${h.order_id}: ${openCredits} credits still held for ${jobs.live} videos in work`);
  }
}

/** The findings as lines for a person, grouped by account. */
export function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return 'billing reconciles: no findings';
  const byUser = new Map<string, string[]>();
  for (const f of findings) {
    const k = f.userId === null ? 'no account' : `account ${f.userId}`;
    byUser.set(k, [...(byUser.get(k) ?? []), f.problem]);
  }
  return [...byUser].map(([k, ps]) => `${k}:\n${ps.map((p) => `  - ${p}`).join('\n')}`).join('\n');
}
