import { createEvent, deterministicId, type Envelope } from '@neurocards/contracts';
import { enqueue, kvMutate, transaction, type KV, type Logger, type Sql } from '@neurocards/platform';
import { Gauge, type Registry } from 'prom-client';
import type { ApiKey } from '../config';
import type { KeyPool } from '../adapters/key-pool';
import type { KieClient } from '../adapters/kie-client';
import { crossing, emptyCreditState, liftDecision, type CreditState } from '../domain/credits';
import { health, keyHealth } from '../domain/keys';

export interface CreditMonitorDeps {
  sql: Sql;
  /** `kie_keys`: each account's last balance and alert state live beside its limits. */
  kv: KV;
  prefix: string;
  pool: KeyPool;
  kie: KieClient;
  keys: readonly ApiKey[];
  /** KIE_CREDIT_ALERT; undefined: no alerts (the balance is still read and exposed). */
  threshold: number | undefined;
  clock: () => number;
  log: Logger;
  /** The service's metrics registry: `neurocards_kie_account_credits{account}` goes there. */
  registry?: Registry | undefined;
}

export interface CreditMonitor {
  /** Reads every account's balance (the loop's tick). */
  tick(signal?: AbortSignal): Promise<boolean>;
  /** Reads one account's balance now (right after a 402). */
  check(account: string, signal?: AbortSignal): Promise<void>;
  /** Each account's last balance, for `kie.keys.stats`. */
  read(): Promise<Record<string, CreditState>>;
}

/**
 * KIE credit monitoring (docs/design.md §1, §3): each account's balance from `GET /api/v1/chat/credit`
 * every KIE_CREDIT_CHECK_INTERVAL and right after a 402, as the `neurocards_kie_account_credits` gauge.
 * Crossing KIE_CREDIT_ALERT downwards alerts once (`kie.credits.low.v1`), back up once
 * (`kie.credits.recovered.v1`): the crossing state is in KV (revision-checked), so replicas
 * reading at once and restarts never repeat an alert, and the event ids carry the crossing's
 * sequence. A balance that rose since the 402 lifts the account's block (`liftDecision`). Any
 * replica may read: reads are idempotent.
 */
export function createCreditMonitor(d: CreditMonitorDeps): CreditMonitor {
  const log = d.log.child({ module: 'credits' });
  const secrets = new Map(d.keys.map((k) => [k.name, k.secret]));
  const entry = (account: string) => `${d.prefix}credits.${account}`;
  const gauge = d.registry
    ? ((d.registry.getSingleMetric('neurocards_kie_account_credits') as Gauge<'account'> | undefined) ??
      new Gauge({
        name: 'neurocards_kie_account_credits',
        help: 'KIE credit balance of each account at the last check',
        labelNames: ['account'],
        registers: [d.registry],
      }))
    : null;

  async function check(account: string, signal?: AbortSignal): Promise<void> {
    const now = d.clock();
    const snapshot = await d.pool.snapshot();
    const state = snapshot.find((a) => a.name === account);
    // Any key of the account that is not revoked can read the balance (a 402 block is the
    // account's: its keys still answer the credit call).
    const key = state?.keys.find(
      (k) => keyHealth({ ...state.state, blockedUntil: null }, k, now).state !== 'blocked',
    );
    const secret = key ? secrets.get(key) : undefined;
    if (!secret) return;
    const res = await d.kie.credit(secret, signal);
    if (!res.ok) {
      log.warn({ account, failure: res.failure }, 'KIE credit check failed');
      return;
    }
    const credits = res.value;
    gauge?.set({ account }, credits);
    const blockedUntil =
      state && health(state.state, now).state === 'blocked' ? state.state.blockedUntil : null;
    const { alert, lift } = await kvMutate<CreditState, { alert: Envelope | null; lift: boolean }>(
      d.kv,
      entry(account),
      {
        empty: emptyCreditState,
        change: (s) => {
          const c = crossing(s, credits, d.threshold, now);
          const l = liftDecision(s, credits, blockedUntil);
          const event = c.alert
            ? createEvent({
                subject: c.alert === 'low' ? 'kie.credits.low.v1' : 'kie.credits.recovered.v1',
                id: deterministicId(
                  c.alert === 'low' ? 'kie.credits.low.v1' : 'kie.credits.recovered.v1',
                  account,
                  c.next.seq,
                ),
                correlationId: `kie-account:${account}`,
                causationId: null,
                data: { account, credits, threshold: d.threshold! },
              })
            : null;
          return { next: { ...c.next, atBlock: l.atBlock }, result: { alert: event, lift: l.lift } };
        },
      },
    );
    if (alert) {
      await transaction(d.sql, (tx) => enqueue(tx, alert));
      log.warn(
        { account, credits, threshold: d.threshold, alert: alert.type },
        'KIE credit balance crossed the alert threshold',
      );
    }
    if (lift && (await d.pool.liftAccountBlock(account, now)))
      log.info({ account, credits }, 'KIE account has credits again; its block is lifted');
  }

  return {
    check,
    async tick(signal) {
      for (const account of d.pool.accounts) {
        if (signal?.aborted) break;
        await check(account, signal).catch((err) => log.error({ err, account }, 'KIE credit check failed'));
      }
      return false;
    },
    async read() {
      const out: Record<string, CreditState> = {};
      for (const account of d.pool.accounts) {
        const e = await d.kv.get(entry(account));
        if (e && e.operation === 'PUT') out[account] = { ...emptyCreditState(), ...e.json<CreditState>() };
      }
      return out;
    },
  };
}
