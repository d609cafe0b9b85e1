import { PermanentError, type Sql } from '@neurocards/platform';
import {
  apply,
  auditAccount,
  balanceOf,
  decideRefund,
  decideReservation,
  InvariantViolation,
  settleHold,
  type Entry,
  type EntryKind,
  type Settlement,
  type Totals,
} from '../domain/credits';

/**
 * The credits ledger in Postgres. Every operation takes the caller's transaction (the one
 * that also records the processed event and writes the outbox) and starts by locking the
 * user's account row: two orders of one user racing are serialised there, so they can never
 * both spend the same credits. Lock order is always account → hold, so no deadlocks.
 */

export interface AccountView extends Totals {
  userId: number;
  balance: number;
}

export type ReserveResult =
  | { outcome: 'reserved'; amount: number; balance: number }
  | { outcome: 'rejected'; requested: number; balance: number; reason: 'insufficient_credits' }
  /** The order was decided before (another event for the same orderId); nothing changed. */
  | { outcome: 'duplicate'; decided: 'reserved' | 'rejected' };

/** `amount`: the credits the video settled (its price), also on a duplicate. */
export type SettleResult = { duplicate: boolean; userId: number; balance: number; amount: number };
export type GrantResult = { applied: boolean; userId: number; balance: number };

/** A grantId that was used before for a different user or amount. */
export class GrantConflictError extends Error {
  readonly code = 'GRANT_CONFLICT';
  constructor(grantId: string) {
    super(`grant ${grantId} was already applied with a different user or amount`);
    this.name = 'GrantConflictError';
  }
}

type TotalsRow = { granted: string; purchased: string; refunded: string; captured: string; held: string };
const toTotals = (r: TotalsRow): Totals => ({
  granted: Number(r.granted),
  purchased: Number(r.purchased),
  refunded: Number(r.refunded),
  captured: Number(r.captured),
  held: Number(r.held),
});

/** Creates the account if needed and locks it for the rest of the transaction. */
async function lockAccount(tx: Sql, userId: number): Promise<Totals> {
  await tx`insert into accounts (user_id) values (${userId}) on conflict do nothing`;
  const [row] = await tx<TotalsRow[]>`
    select granted, purchased, refunded, captured, held from accounts where user_id = ${userId} for update`;
  if (!row) throw new Error(`account ${userId} vanished under lock`);
  return toTotals(row);
}

interface NewEntry extends Entry {
  key: string;
  userId: number;
  orderId?: string;
  jobId?: string;
  grantId?: string;
  reason?: string;
  grantedBy?: string;
  chargeId?: string;
}

/** Appends a ledger row and moves the account's running totals with it. */
async function append(tx: Sql, before: Totals, e: NewEntry): Promise<Totals> {
  const after = guard(() => apply(before, e));
  await tx`
    insert into ledger (idempotency_key, user_id, kind, amount, order_id, job_id, grant_id, reason, granted_by,
                        charge_id, balance_after, held_after)
    values (${e.key}, ${e.userId}, ${e.kind}, ${e.amount}, ${e.orderId ?? null}, ${e.jobId ?? null},
            ${e.grantId ?? null}, ${e.reason ?? null}, ${e.grantedBy ?? null}, ${e.chargeId ?? null},
            ${balanceOf(after)}, ${after.held})`;
  await tx`
    update accounts set granted = ${after.granted}, purchased = ${after.purchased}, refunded = ${after.refunded},
      captured = ${after.captured}, held = ${after.held}, updated_at = now()
    where user_id = ${e.userId}`;
  return after;
}

/** A broken invariant can never succeed on retry: the message is parked, never applied. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvariantViolation) throw new PermanentError(err.message, { cause: err });
    throw err;
  }
}

/**
 * Holds `count × creditsPerVideo` for the order, or records a rejection. One decision per
 * orderId. The price is kept on the hold, so each video settles what it was held at.
 */
export async function reserve(
  tx: Sql,
  o: { orderId: string; userId: number; count: number; creditsPerVideo?: number },
): Promise<ReserveResult> {
  const perVideo = o.creditsPerVideo ?? 1;
  const before = await lockAccount(tx, o.userId);
  const [prior] = await tx<{ decided: 'reserved' | 'rejected' }[]>`
    select 'reserved' as decided from holds where order_id = ${o.orderId}
    union all
    select 'rejected' from rejections where order_id = ${o.orderId}`;
  if (prior) return { outcome: 'duplicate', decided: prior.decided };

  const d = decideReservation(before, o.count, perVideo);
  if (d.kind === 'reject') {
    await tx`
      insert into rejections (order_id, user_id, requested, balance)
      values (${o.orderId}, ${o.userId}, ${d.requested}, ${d.balance})`;
    return { outcome: 'rejected', requested: d.requested, balance: d.balance, reason: d.reason };
  }
  await tx`
    insert into holds (order_id, user_id, amount, per_video)
    values (${o.orderId}, ${o.userId}, ${d.amount}, ${perVideo})`;
  const after = await append(tx, before, {
    key: `hold:${o.orderId}`,
    kind: 'hold',
    amount: d.amount,
    userId: o.userId,
    orderId: o.orderId,
  });
  return { outcome: 'reserved', amount: d.amount, balance: balanceOf(after) };
}

/** Captures (delivered) or releases (failed) one video's credits of the order's hold for a job. */
export async function settle(
  tx: Sql,
  s: { orderId: string; jobId: string; how: Settlement; reason?: string },
): Promise<SettleResult> {
  const [owner] = await tx<{ user_id: string }[]>`select user_id from holds where order_id = ${s.orderId}`;
  if (!owner) throw new PermanentError(`${s.how} for job ${s.jobId}: order ${s.orderId} has no hold`);
  const userId = Number(owner.user_id);
  const before = await lockAccount(tx, userId);

  const [done] = await tx<{ kind: EntryKind; order_id: string; amount: number }[]>`
    select kind, order_id, amount from ledger where job_id = ${s.jobId}`;
  if (done) {
    if (done.kind !== s.how || done.order_id !== s.orderId) {
      throw new PermanentError(
        `job ${s.jobId} was already settled by ${done.kind} on order ${done.order_id}`,
      );
    }
    return { duplicate: true, userId, balance: balanceOf(before), amount: done.amount };
  }

  const [hold] = await tx<{ amount: number; captured: number; released: number; per_video: number }[]>`
    select amount, captured, released, per_video from holds where order_id = ${s.orderId} for update`;
  if (!hold) throw new Error(`hold ${s.orderId} vanished under lock`);
  const perVideo = hold.per_video;
  const next = guard(() => settleHold({ ...hold, perVideo }, s.how));
  await tx`
    update holds set captured = ${next.captured}, released = ${next.released}, updated_at = now()
    where order_id = ${s.orderId}`;
  const after = await append(tx, before, {
    key: `${s.how}:${s.jobId}`,
    kind: s.how,
    amount: perVideo,
    userId,
    orderId: s.orderId,
    jobId: s.jobId,
    ...(s.reason ? { reason: s.reason } : {}),
  });
  return { duplicate: false, userId, balance: balanceOf(after), amount: perVideo };
}

/** Adds credits once per grantId; a repeated grantId changes nothing and reports the balance. */
export async function grant(
  tx: Sql,
  g: { grantId: string; userId: number; amount: number; grantedBy: string | number },
): Promise<GrantResult> {
  const before = await lockAccount(tx, g.userId);
  const [prior] = await tx<{ user_id: string; amount: number }[]>`
    select user_id, amount from ledger where idempotency_key = ${`grant:${g.grantId}`}`;
  if (prior) {
    if (Number(prior.user_id) !== g.userId || prior.amount !== g.amount)
      throw new GrantConflictError(g.grantId);
    return { applied: false, userId: g.userId, balance: balanceOf(before) };
  }
  const after = await append(tx, before, {
    key: `grant:${g.grantId}`,
    kind: 'grant',
    amount: g.amount,
    userId: g.userId,
    grantId: g.grantId,
    grantedBy: String(g.grantedBy),
  });
  return { applied: true, userId: g.userId, balance: balanceOf(after) };
}

export interface PurchaseInput {
  chargeId: string;
  providerChargeId: string;
  purchaseId: string;
  userId: number;
  credits: number;
  stars: number;
  invoiceCreatedAt: string;
  resume?: string | undefined;
}

export type PurchaseResult = { applied: boolean; userId: number; balance: number };

/**
 * Grants a Stars purchase once per charge id: the purchases row (primary key = charge id)
 * and its ledger row go in the caller's transaction. A repeat — the same event again, or
 * another event with the same charge — changes nothing. A charge id seen with another user
 * or pack is a contradiction no retry can fix (PermanentError: parked, never applied).
 */
export async function purchase(tx: Sql, p: PurchaseInput): Promise<PurchaseResult> {
  const before = await lockAccount(tx, p.userId);
  const [prior] = await tx<{ user_id: string; credits: number; stars: number }[]>`
    select user_id, credits, stars from purchases where charge_id = ${p.chargeId}`;
  if (prior) {
    if (Number(prior.user_id) !== p.userId || prior.credits !== p.credits || prior.stars !== p.stars)
      throw new PermanentError(`charge ${p.chargeId} was already granted with a different user or pack`);
    return { applied: false, userId: p.userId, balance: balanceOf(before) };
  }
  await tx`
    insert into purchases (charge_id, purchase_id, user_id, credits, stars, provider_charge_id, resume, invoice_created_at)
    values (${p.chargeId}, ${p.purchaseId}, ${p.userId}, ${p.credits}, ${p.stars}, ${p.providerChargeId},
            ${p.resume ?? null}, ${p.invoiceCreatedAt})`;
  const after = await append(tx, before, {
    key: `purchase:${p.chargeId}`,
    kind: 'purchase',
    amount: p.credits,
    userId: p.userId,
    chargeId: p.chargeId,
  });
  return { applied: true, userId: p.userId, balance: balanceOf(after) };
}

export type RefundResult =
  | { found: false }
  | {
      found: true;
      userId: number;
      credits: number;
      takenBack: number;
      notTakenBack: number;
      alreadyRefunded: boolean;
      balance: number;
    };

/**
 * Takes back a refunded purchase's unspent credits (decideRefund: never below zero, never a
 * held credit), once per charge id: a second refund reports the first one's numbers and
 * changes nothing. An unknown charge changes nothing either.
 */
export async function refundPurchase(tx: Sql, r: { chargeId: string; refundedBy: string }): Promise<RefundResult> {
  const [p] = await tx<{ user_id: string; credits: number }[]>`
    select user_id, credits from purchases where charge_id = ${r.chargeId}`;
  if (!p) return { found: false };
  const userId = Number(p.user_id);
  const before = await lockAccount(tx, userId);
  const [prior] = await tx<{ taken_back: number; not_taken_back: number }[]>`
    select taken_back, not_taken_back from refunds where charge_id = ${r.chargeId}`;
  if (prior) {
    return {
      found: true,
      userId,
      credits: p.credits,
      takenBack: prior.taken_back,
      notTakenBack: prior.not_taken_back,
      alreadyRefunded: true,
      balance: balanceOf(before),
    };
  }
  const d = decideRefund(before, p.credits);
  await tx`
    insert into refunds (charge_id, user_id, credits, taken_back, not_taken_back, refunded_by)
    values (${r.chargeId}, ${userId}, ${p.credits}, ${d.takenBack}, ${d.notTakenBack}, ${r.refundedBy})`;
  const after =
    d.takenBack > 0
      ? await append(tx, before, {
          key: `refund:${r.chargeId}`,
          kind: 'refund',
          amount: d.takenBack,
          userId,
          chargeId: r.chargeId,
        })
      : before;
  return { found: true, userId, credits: p.credits, ...d, alreadyRefunded: false, balance: balanceOf(after) };
}

/** A purchase by its charge id (no lock), for `/refund`; null when unknown. */
export async function readPurchase(
  sql: Sql,
  chargeId: string,
): Promise<{ userId: number; credits: number; stars: number; refunded: boolean; held: number } | null> {
  const [p] = await sql<{ user_id: string; credits: number; stars: number; refunded: boolean; held: string | null }[]>`
    select p.user_id, p.credits, p.stars, exists (select 1 from refunds r where r.charge_id = p.charge_id) as refunded,
           (select a.held from accounts a where a.user_id = p.user_id) as held
    from purchases p where p.charge_id = ${chargeId}`;
  return p
    ? { userId: Number(p.user_id), credits: p.credits, stars: p.stars, refunded: p.refunded, held: Number(p.held ?? 0) }
    : null;
}

/** The account as it stands (no lock); an unknown user has nothing. */
export async function readAccount(sql: Sql, userId: number): Promise<AccountView> {
  const [row] = await sql<
    TotalsRow[]
  >`select granted, purchased, refunded, captured, held from accounts where user_id = ${userId}`;
  const t = row ? toTotals(row) : { granted: 0, purchased: 0, refunded: 0, captured: 0, held: 0 };
  return { userId, ...t, balance: balanceOf(t) };
}

/** An order's hold: settled once every video's credit is captured or released. */
export async function readOrder(
  sql: Sql,
  orderId: string,
): Promise<{ found: false } | { found: true; userId: number; settled: boolean; balance: number }> {
  const [hold] = await sql<{ user_id: string; amount: number; captured: number; released: number }[]>`
    select user_id, amount, captured, released from holds where order_id = ${orderId}`;
  if (!hold) return { found: false };
  const account = await readAccount(sql, Number(hold.user_id));
  return {
    found: true,
    userId: account.userId,
    settled: hold.captured + hold.released >= hold.amount,
    balance: account.balance,
  };
}

export interface LedgerLine {
  kind: 'grant' | 'purchase' | 'capture' | 'release' | 'refund';
  amount: number;
  orderId: string | null;
  grantedBy: string | null;
  at: string;
}

/** A user's latest lines that change the balance for good (holds are transient), newest first. */
export async function listLines(sql: Sql, userId: number, limit: number): Promise<LedgerLine[]> {
  const rows = await sql<{ kind: LedgerLine['kind']; amount: number; orderId: string | null; grantedBy: string | null; at: Date }[]>`
    select kind, amount, order_id as "orderId", granted_by as "grantedBy", created_at as at
    from ledger where user_id = ${userId} and kind in ('grant', 'purchase', 'capture', 'release', 'refund')
    order by seq desc limit ${limit}`;
  return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
}

/**
 * Checks `balance = granted + purchased − refunded − captured − held` for every account against a replay of its
 * ledger. Returns the accounts that disagree; empty when the books are straight.
 */
export async function auditLedger(sql: Sql): Promise<Array<{ userId: number; problems: string[] }>> {
  const accounts = await sql<(TotalsRow & { user_id: string })[]>`
    select user_id, granted, purchased, refunded, captured, held from accounts order by user_id`;
  const entries = await sql<{ user_id: string; kind: EntryKind; amount: number }[]>`
    select user_id, kind, amount from ledger order by seq`;
  const byUser = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = byUser.get(e.user_id) ?? [];
    list.push({ kind: e.kind, amount: e.amount });
    byUser.set(e.user_id, list);
  }
  const bad: Array<{ userId: number; problems: string[] }> = [];
  for (const a of accounts) {
    const problems = auditAccount(toTotals(a), byUser.get(a.user_id) ?? []);
    if (problems.length > 0) bad.push({ userId: Number(a.user_id), problems });
  }
  return bad;
}

/** The operations handlers depend on, as one narrow interface (tests may wrap it). */
export interface Ledger {
  reserve: typeof reserve;
  settle: typeof settle;
  grant: typeof grant;
  purchase: typeof purchase;
  refundPurchase: typeof refundPurchase;
  readPurchase: typeof readPurchase;
  readAccount: typeof readAccount;
  listLines: typeof listLines;
  readOrder: typeof readOrder;
}

export const createLedger = (): Ledger => ({
  reserve,
  settle,
  grant,
  purchase,
  refundPurchase,
  readPurchase,
  readAccount,
  listLines,
  readOrder,
});
