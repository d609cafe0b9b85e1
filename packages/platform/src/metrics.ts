import { Counter, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { FailureClass } from '@neurocards/contracts';

export interface Metrics {
  registry: Registry;
  messages: Counter<'consumer' | 'outcome'>;
  handlerSeconds: Histogram<'consumer'>;
  outboxPublished: Counter<'schema'>;
}

/** One registry per service process, with the process' default metrics. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    messages: new Counter({
      name: 'neurocards_messages_total',
      help: 'Messages handled by a consumer, by outcome (ok, retry, parked)',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'neurocards_handler_seconds',
      help: 'Time a consumer handler took',
      labelNames: ['consumer'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'neurocards_outbox_published_total',
      help: 'Events relayed from the transactional outbox to JetStream',
      labelNames: ['schema'],
      registers: [registry],
    }),
  };
}

/**
 * The metric `name` of the registry, created by `make` the first time: a module wired twice
 * into one registry (tests build a service's parts more than once) shares one metric
 * instead of failing on a duplicate name.
 */
export function metricOf<M extends Metric>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export interface CachedOptions {
  /** A value younger than this is served without asking again. */
  maxAgeMs: number;
  /** A scrape waits at most this long for a fresh value, then gets the last one. */
  timeoutMs: number;
  onError?: (err: unknown) => void;
  /** No successful read for this long: no value (default 4 × maxAgeMs, at least 60 s). */
  staleAfterMs?: number;
}

/**
 * A value loaded at most once per `maxAgeMs`, for gauges read at scrape time
 * (`collect()`): one load at a time, however many gauges or scrapers ask, and a slow
 * source (NATS, PostgreSQL) never holds `/metrics` longer than `timeoutMs` — the scrape
 * gets the previous value (undefined before the first load) and the load finishes later.
 */
export function cached<T>(load: () => Promise<T>, opts: CachedOptions): () => Promise<T | undefined> {
  let value: T | undefined;
  let at = Number.NEGATIVE_INFINITY;
  let inFlight: Promise<void> | null = null;
  return async () => {
    if (performance.now() - at < opts.maxAgeMs) return value;
    inFlight ??= load()
      .then((v) => {
        value = v;
        at = performance.now();
      })
      .catch((err) => opts.onError?.(err))
      .finally(() => (inFlight = null));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, opts.timeoutMs);
      timer.unref();
    });
    await Promise.race([inFlight, timeout]);
    clearTimeout(timer);
    // A source that has failed for several periods has no current value: the series goes
    // away (an alert on it sees no data) rather than freezing at its last reading.
    const staleAfterMs = opts.staleAfterMs ?? Math.max(STALE_AFTER_PERIODS * opts.maxAgeMs, 60_000);
    if (performance.now() - at > staleAfterMs) value = undefined;
    return value;
  };
}

/** `cached`: after this many periods (at least a minute) without a successful read the value is dropped. */
const STALE_AFTER_PERIODS = 4;

/**
 * The failure classes the metrics and the dashboard speak (docs/design.md, "Metrics"),
 * from the saga's `FailureClass`; `none` is a delivered video. Kept apart from the contract
 * so a new internal class cannot silently add a label value.
 */
export type MetricClass = 'none' | 'content' | 'billing' | 'config' | 'transient' | 'timeout' | 'cancelled' | 'undeliverable';

export function metricClass(reason: FailureClass | null | undefined): MetricClass {
  if (reason === null || reason === undefined) return 'none';
  switch (reason) {
    case 'user_violation':
      return 'content';
    case 'billing':
    case 'config':
    case 'cancelled':
    case 'undeliverable':
      return reason;
    // Retriable failures that ran out of attempts.
    case 'exhausted':
      return 'transient';
    // The overall deadline passed without an outcome.
    case 'expired':
      return 'timeout';
    default: {
      const never: never = reason;
      throw new Error(`unknown failure class ${String(never)}`);
    }
  }
}

/** Telegram Bot API calls: latency and 429s (notifier and bot-gateway). */
export interface TelegramMetrics {
  seconds: Histogram<'method'>;
  rateLimited: Counter<'method'>;
}

export function telegramMetrics(registry: Registry): TelegramMetrics {
  return {
    seconds: metricOf(
      registry,
      'neurocards_telegram_send_seconds',
      () =>
        new Histogram({
          name: 'neurocards_telegram_send_seconds',
          help: 'Telegram Bot API call latency by method (every attempt; getUpdates long polls are left out)',
          labelNames: ['method'],
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers: [registry],
        }),
    ),
    rateLimited: metricOf(
      registry,
      'neurocards_telegram_429_total',
      () =>
        new Counter({
          name: 'neurocards_telegram_429_total',
          help: 'Telegram answers 429 Too Many Requests, by method',
          labelNames: ['method'],
          registers: [registry],
        }),
    ),
  };
}

/** The part of a Bot API answer the metrics read (https://core.telegram.org/bots/api#making-requests). */
interface ApiAnswer {
  ok: boolean;
  error_code?: number;
}

/**
 * A grammY API transformer (https://grammy.dev/advanced/transformers) that times every
 * Bot API call and counts its 429s. Install it first, so it is the innermost: it sees each
 * attempt of auto-retry and not the wait for the send budget. Typed structurally so the
 * platform needs no grammY; the method name is Telegram's (a bounded label).
 */
export function telegramMetricsTransformer(m: TelegramMetrics) {
  return async <M extends string, P, S, R extends ApiAnswer>(
    prev: (method: M, payload: P, signal?: S) => Promise<R>,
    method: M,
    payload: P,
    signal?: S,
  ): Promise<R> => {
    const started = performance.now();
    try {
      const res = await prev(method, payload, signal);
      if (!res.ok && res.error_code === 429) m.rateLimited.inc({ method });
      return res;
    } finally {
      // A failed call (no answer) counts with the time it took to fail. getUpdates waits up
      // to its long-poll timeout by design: that is not latency.
      if (method !== 'getUpdates') m.seconds.observe({ method }, (performance.now() - started) / 1000);
    }
  };
}

