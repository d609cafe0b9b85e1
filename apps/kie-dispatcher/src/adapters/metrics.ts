import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { cached, metricOf, type Logger, type Sql } from '@neurocards/platform';
import { inWindow, keyCapacity, keyHealth, pendingInWindow, type KeyHealth, type SubmitRate } from '../domain/keys';
import type { KeyPool } from './key-pool';
import type { KieCallObserver } from './kie-client';
import { inFlightByKey, queueDepth } from './tasks-repo';

/** `neurocards_kie_request_seconds{endpoint}` and `neurocards_kie_responses_total{endpoint,code}`, for the KIE client. */
export function kieCallMetrics(registry: Registry): KieCallObserver {
  const seconds = metricOf(
    registry,
    'neurocards_kie_request_seconds',
    () =>
      new Histogram({
        name: 'neurocards_kie_request_seconds',
        help: 'KIE HTTP call latency by endpoint (createTask, veo, recordInfo, upload, credits)',
        labelNames: ['endpoint'],
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
  );
  const answers = metricOf(
    registry,
    'neurocards_kie_responses_total',
    () =>
      new Counter({
        name: 'neurocards_kie_responses_total',
        help: "KIE answers by endpoint and code (KIE's body code, else the HTTP status; network when none came)",
        labelNames: ['endpoint', 'code'],
        registers: [registry],
      }),
  );
  return (endpoint, code, s) => {
    seconds.observe({ endpoint }, s);
    answers.inc({ endpoint, code });
  };
}

const STATES: readonly KeyHealth[] = ['ok', 'cooling', 'blocked'];

interface KeyView {
  account: string;
  key: string;
  budgetUsed: number;
  running: number;
  state: KeyHealth;
  available: boolean;
}

export interface PoolMetricsDeps {
  registry: Registry;
  sql: Sql;
  pool: KeyPool;
  /** KIE_SUBMIT_RATE: the account's window the budget ratio is of. */
  rate: SubmitRate;
  maxInFlight: number;
  /** createTask calls per key that may be unanswered at once (the submitter's). */
  parallel: number;
  clock: () => number;
  log: Logger;
  maxAgeMs?: number;
}

/**
 * The queue and the key pool at scrape time (docs/design.md, "Metrics"): queue depth, and per
 * key its account's budget used (KIE counts submissions per account, so every key of an
 * account shows its account's ratio), its tasks in flight, its health, and how many keys
 * could take a task now. One cached read of Postgres and the `kie_keys` bucket feeds them all.
 */
export function registerPoolMetrics(d: PoolMetricsDeps): void {
  const log = d.log.child({ module: 'metrics' });
  const load = cached(
    async () => {
      const now = d.clock();
      const [depth, inFlight, accounts] = await Promise.all([queueDepth(d.sql), inFlightByKey(d.sql), d.pool.snapshot()]);
      const keys: KeyView[] = accounts.flatMap((a) => {
        const used = inWindow(a.state.recent, now, d.rate).length + pendingInWindow(a.state.pending, now, d.rate).length;
        const accountInFlight = a.keys.reduce((n, k) => n + (inFlight.get(k) ?? 0), 0);
        return a.keys.map((key) => ({
          account: a.name,
          key,
          budgetUsed: d.rate.limit > 0 ? used / d.rate.limit : 0,
          running: inFlight.get(key) ?? 0,
          state: keyHealth(a.state, key, now).state,
          available: keyCapacity(a.state, key, accountInFlight, d.maxInFlight, now, d.rate, d.parallel) > 0,
        }));
      });
      return { depth, keys };
    },
    {
      maxAgeMs: d.maxAgeMs ?? 5000,
      timeoutMs: 2000,
      onError: (err) => log.warn({ err }, 'reading the queue and key pool for the metrics failed'),
    },
  );
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, v: NonNullable<Awaited<ReturnType<typeof load>>>) => void,
  ) =>
    metricOf(
      d.registry,
      name,
      () =>
        new Gauge<L>({
          name,
          help,
          labelNames,
          registers: [d.registry],
          async collect() {
            const v = await load();
            if (v) return fill(this, v);
            // No current reading (the database failed for too long): no labelled series, and a
            // gap (NaN) for the unlabelled ones, rather than the last value frozen.
            this.reset();
            if (labelNames.length === 0) (this as unknown as Gauge).set(Number.NaN);
          },
        }),
    );
  gauge('neurocards_queue_depth', 'Videos waiting for a KIE key (queued, or claimed and not yet sent)', [], (g, v) =>
    g.set(v.depth),
  );
  gauge('neurocards_kie_keys_available', 'KIE keys able to take a task now', [], (g, v) =>
    g.set(v.keys.filter((k) => k.available).length),
  );
  gauge(
    'neurocards_kie_key_budget_used_ratio',
    "Submissions in the current rate window of the key's account, over its limit",
    ['account', 'key'],
    (g, v) => {
      for (const k of v.keys) g.set({ account: k.account, key: k.key }, k.budgetUsed);
    },
  );
  gauge('neurocards_kie_tasks_running', 'Tasks in flight at KIE by key', ['account', 'key'], (g, v) => {
    for (const k of v.keys) g.set({ account: k.account, key: k.key }, k.running);
  });
  gauge(
    'neurocards_kie_key_state',
    "A key's health: 1 for its current state (ok, cooling, blocked), 0 for the others",
    ['account', 'key', 'state'],
    (g, v) => {
      for (const k of v.keys)
        for (const state of STATES) g.set({ account: k.account, key: k.key, state }, k.state === state ? 1 : 0);
    },
  );
}
