import { Counter, Gauge, type Registry } from 'prom-client';
import type { FailureClass } from '@neurocards/contracts';
import { cached, metricClass, metricOf, type Logger, type Sql } from '@neurocards/platform';

/** Billing's business metrics (docs/design.md, "Metrics"). */
export interface BillingMetrics {
  /** One video's credits released (a committed refund, never a repeat). */
  refunded(reason: FailureClass, credits: number): void;
}

export function createBillingMetrics(registry: Registry): BillingMetrics {
  const count = metricOf(
    registry,
    'neurocards_refunds_total',
    () =>
      new Counter({
        name: 'neurocards_refunds_total',
        help: 'Videos refunded, by failure class',
        labelNames: ['class'],
        registers: [registry],
      }),
  );
  const credits = metricOf(
    registry,
    'neurocards_refunded_credits_total',
    () =>
      new Counter({
        name: 'neurocards_refunded_credits_total',
        help: 'Credits refunded, by failure class',
        labelNames: ['class'],
        registers: [registry],
      }),
  );
  return {
    refunded(reason, amount) {
      const labels = { class: metricClass(reason) };
      count.inc(labels);
      credits.inc(labels, amount);
    },
  };
}

export type LedgerKind = 'granted' | 'purchased' | 'taken_back' | 'captured' | 'held' | 'refunded' | 'balance';

/**
 * The ledger's totals over every account. The running totals on `accounts` and the holds'
 * `released` are summed (one row per user and per order, never the ledger's lines).
 * `purchased`: Stars purchases; `taken_back`: what `/refund` took back of them; `refunded`:
 * held credits that went back to sellers for videos that failed.
 */
export async function ledgerTotals(sql: Sql): Promise<Record<LedgerKind, number>> {
  const [a] = await sql<{ granted: string; purchased: string; taken_back: string; captured: string; held: string }[]>`
    select coalesce(sum(granted), 0) as granted, coalesce(sum(purchased), 0) as purchased,
           coalesce(sum(refunded), 0) as taken_back, coalesce(sum(captured), 0) as captured,
           coalesce(sum(held), 0) as held
    from accounts`;
  const [h] = await sql<{ refunded: string }[]>`select coalesce(sum(released), 0) as refunded from holds`;
  const granted = Number(a?.granted ?? 0);
  const purchased = Number(a?.purchased ?? 0);
  const takenBack = Number(a?.taken_back ?? 0);
  const captured = Number(a?.captured ?? 0);
  const held = Number(a?.held ?? 0);
  return {
    granted,
    purchased,
    taken_back: takenBack,
    captured,
    held,
    refunded: Number(h?.refunded ?? 0),
    balance: granted + purchased - takenBack - captured - held,
  };
}

/**
 * `neurocards_ledger_credits{kind}`, read at scrape time and cached (`maxAgeMs`, default
 * 30 s): the sums grow with users and orders, so they are not recomputed for every scrape.
 */
export function registerLedgerMetrics(o: { registry: Registry; sql: Sql; log: Logger; maxAgeMs?: number }): void {
  const log = o.log.child({ module: 'metrics' });
  const load = cached(() => ledgerTotals(o.sql), {
    maxAgeMs: o.maxAgeMs ?? 30_000,
    timeoutMs: 2000,
    onError: (err) => log.warn({ err }, 'reading the ledger totals failed'),
  });
  metricOf(
    o.registry,
    'neurocards_ledger_credits',
    () =>
      new Gauge({
        name: 'neurocards_ledger_credits',
        help: 'Ledger totals over all accounts, by kind (granted, purchased, captured, held, refunded, balance)',
        labelNames: ['kind'],
        registers: [o.registry],
        async collect() {
          const totals = await load();
          this.reset();
          if (!totals) return;
          for (const [kind, n] of Object.entries(totals)) this.set({ kind }, n);
        },
      }),
  );
}
