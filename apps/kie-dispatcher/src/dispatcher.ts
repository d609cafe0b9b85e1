import type { FastifyInstance } from 'fastify';
import {
  startLoop,
  type HandlersOf,
  type KV,
  type Logger,
  type Loop,
  type ObjectStore,
  type Sql,
} from '@neurocards/platform';
import type { Registry } from 'prom-client';
import { createKeyPool, type KeyPool } from './adapters/key-pool';
import { createKieClient, type KieClient } from './adapters/kie-client';
import { kieCallMetrics, registerPoolMetrics } from './adapters/metrics';
import { createModelStore } from './adapters/model-store';
import { createPhotoStore } from './adapters/photo-store';
import type { Config } from './config';
import { registerCallbackRoute } from './handlers/callback';
import { createCreditMonitor } from './handlers/credits';
import { createOutcomes, type Outcomes } from './handlers/outcomes';
import { createPoller } from './handlers/poller';
import { createModelsSetHandler, createStatsHandler, createUnblockHandler } from './handlers/stats';
import { createSubmitConsumer } from './handlers/submit-consumer';
import { createSubmitter } from './handlers/submitter';
import { createEstimateHandler } from './handlers/estimate';
import { createQueueCancelConsumer } from './handlers/queue-cancel-consumer';
import { watchStall } from './handlers/stall-watch';
import { createVideoFailedConsumer } from './handlers/video-failed-consumer';

export type DispatcherConfig = Pick<
  Config,
  | 'KIE_BASE_URL'
  | 'KIE_UPLOAD_BASE_URL'
  | 'KIE_API_KEYS'
  | 'models'
  | 'prices'
  | 'KIE_CREDIT_ALERT'
  | 'KIE_CREDIT_CHECK_INTERVAL'
  | 'KIE_KEY_CAP_COOLDOWN'
  | 'KIE_WEBHOOK_HMAC_KEY'
  | 'KIE_SUBMIT_RATE'
  | 'KIE_MAX_IN_FLIGHT'
  | 'KIE_BILLING_FAILOVER'
  | 'GENERATION_DEADLINE'
  | 'QUEUE_STALL_ALERT'
  | 'callbackBaseUrl'
>;

export interface DispatcherDeps {
  sql: Sql;
  /** `kie_keys`: account limits, key states, credit alert state. */
  kv: KV;
  /** `kie_models`: model availability and the offer bot-gateway reads (default: `kv`). */
  modelsKv?: KV;
  /** The service's metrics registry: the queue, key pool, KIE call and credit metrics go there. */
  registry?: Registry;
  photosBucket: ObjectStore;
  config: DispatcherConfig;
  log: Logger;
  clock?: () => number;
  /** KV key prefix for per-key state (and of `kie_models` entries); tests pass a unique one. */
  keyPrefix?: string;
  /** How often every account's credits are read (default KIE_CREDIT_CHECK_INTERVAL). */
  creditIntervalMs?: number;
  kie?: KieClient;
  /** Loop cadence (ms): how soon queued work and due polls are noticed. */
  submitIntervalMs?: number;
  pollIntervalMs?: number;
  /** How often the stall watch looks at the queue (default 30 s). */
  stallIntervalMs?: number;
  /** createTask calls per key that may be unanswered at once (default 3). */
  keyParallelism?: number;
  /** recordInfo calls per second per key, all replicas together (default 8; KIE allows 10). */
  pollsPerSecondPerKey?: number;
  /** Stopping: how long to wait for a createTask already sent (default 5 s). */
  shutdownGraceMs?: number;
}

/** Builds every part of the service from its dependencies; main.ts and tests both use it. */
export function createDispatcher(d: DispatcherDeps) {
  const clock = d.clock ?? Date.now;
  const cfg = d.config;
  const defaultModel = cfg.models[0]!;
  const pool: KeyPool = createKeyPool({
    kv: d.kv,
    keys: cfg.KIE_API_KEYS.map((k) => ({ name: k.name, account: k.account ?? k.name })),
    rate: cfg.KIE_SUBMIT_RATE,
    maxInFlight: cfg.KIE_MAX_IN_FLIGHT,
    ...(d.keyParallelism ? { parallel: d.keyParallelism } : {}),
    ...(d.pollsPerSecondPerKey ? { pollsPerSecond: d.pollsPerSecondPerKey } : {}),
    ...(d.keyPrefix ? { prefix: d.keyPrefix } : {}),
  });
  const kie =
    d.kie ??
    createKieClient({
      baseUrl: cfg.KIE_BASE_URL,
      uploadBaseUrl: cfg.KIE_UPLOAD_BASE_URL,
      ...(d.registry ? { observe: kieCallMetrics(d.registry) } : {}),
    });
  if (d.registry) {
    registerPoolMetrics({
      registry: d.registry,
      sql: d.sql,
      pool,
      rate: cfg.KIE_SUBMIT_RATE,
      maxInFlight: cfg.KIE_MAX_IN_FLIGHT,
      parallel: d.keyParallelism ?? 3,
      clock,
      log: d.log,
    });
  }
  const models = createModelStore({
    kv: d.modelsKv ?? d.kv,
    models: cfg.models,
    prices: cfg.prices,
    accounts: pool.accounts,
    ...(d.keyPrefix ? { prefix: d.keyPrefix } : {}),
  });
  const credits = createCreditMonitor({
    sql: d.sql,
    kv: d.kv,
    prefix: d.keyPrefix ?? 'key.',
    pool,
    kie,
    keys: cfg.KIE_API_KEYS,
    threshold: cfg.KIE_CREDIT_ALERT,
    clock,
    log: d.log,
    registry: d.registry,
  });
  const stopping = new AbortController();
  const outcomes: Outcomes = createOutcomes({
    sql: d.sql,
    pool,
    models,
    defaultModel,
    clock,
    billingFailover: cfg.KIE_BILLING_FAILOVER,
    keyCapCooldownMs: cfg.KIE_KEY_CAP_COOLDOWN,
    // Right after a 402: read the account's balance (a positive one lifts the block).
    onAccountEmpty: (account) => void credits.check(account, stopping.signal).catch(() => undefined),
    log: d.log,
  });
  const submitter = createSubmitter({
    sql: d.sql,
    pool,
    kie,
    photos: createPhotoStore(d.photosBucket),
    outcomes,
    keys: cfg.KIE_API_KEYS,
    clock,
    log: d.log,
    models,
    defaultModel,
    callbackBaseUrl: cfg.callbackBaseUrl,
    deadlineMs: cfg.GENERATION_DEADLINE,
    rate: cfg.KIE_SUBMIT_RATE,
    maxInFlight: cfg.KIE_MAX_IN_FLIGHT,
    ...(d.keyParallelism ? { parallel: d.keyParallelism } : {}),
    ...(d.shutdownGraceMs !== undefined ? { graceMs: d.shutdownGraceMs } : {}),
    onSettled: () => submitLoop?.wake(),
  });
  const poller = createPoller({
    sql: d.sql,
    kie,
    pool,
    outcomes,
    keys: cfg.KIE_API_KEYS,
    defaultModel,
    clock,
    log: d.log,
  });
  const admin = {
    sql: d.sql,
    pool,
    models,
    credits,
    offered: cfg.models,
    rate: cfg.KIE_SUBMIT_RATE,
    maxInFlight: cfg.KIE_MAX_IN_FLIGHT,
    clock,
    log: d.log,
  };
  let submitLoop: Loop | null = null;
  let pollLoop: Loop | null = null;
  let creditLoop: Loop | null = null;
  let stallLoop: Loop | null = null;

  return {
    config: cfg,
    kie,
    pool,
    outcomes,
    submitter,
    poller,
    models,
    credits,
    stats: createStatsHandler(admin),
    unblock: createUnblockHandler(admin),
    setModel: createModelsSetHandler(admin),
    estimate: createEstimateHandler({ ...admin, defaultModel }),
    /** Writes the offer to `kie_models` (at start; it is rewritten on every change). */
    publishOffer: () => models.publishOffer(clock()),
    /** One handler per consumer of the topology (`consumers['kie-dispatcher']`). */
    handlers: {
      'kie.task.submit.v1': createSubmitConsumer({
        sql: d.sql,
        clock,
        defaultModel,
        onQueued: () => submitLoop?.wake(),
      }),
      'jobs.video.failed.v1': createVideoFailedConsumer({ sql: d.sql, clock }),
      'kie.queue.cancel.v1': createQueueCancelConsumer({ sql: d.sql, clock }),
    } satisfies HandlersOf<'kie-dispatcher'>,
    registerRoutes(app: FastifyInstance) {
      registerCallbackRoute(app, {
        sql: d.sql,
        outcomes,
        clock,
        log: d.log,
        defaultModel,
        hmacKey: cfg.KIE_WEBHOOK_HMAC_KEY,
      });
    },
    startLoops() {
      submitLoop = startLoop({
        name: 'submit',
        intervalMs: d.submitIntervalMs ?? 1000,
        tick: submitter.tick,
        log: d.log,
      });
      pollLoop = startLoop({
        name: 'poll',
        intervalMs: d.pollIntervalMs ?? 1000,
        tick: () => poller.tick(stopping.signal),
        log: d.log,
      });
      creditLoop = startLoop({
        name: 'credits',
        intervalMs: d.creditIntervalMs ?? cfg.KIE_CREDIT_CHECK_INTERVAL,
        tick: () => credits.tick(stopping.signal),
        log: d.log,
      });
      stallLoop = startLoop({
        name: 'stall-watch',
        intervalMs: d.stallIntervalMs ?? 30_000,
        tick: async () => {
          await watchStall({ sql: d.sql, clock, afterMs: cfg.QUEUE_STALL_ALERT, log: d.log });
          return false;
        },
        log: d.log,
      });
    },
    /**
     * Stops both loops within the platform's shutdown deadline: no new uploads, createTask or
     * polls; uploads and polls in flight are aborted; a createTask in flight gets a short grace,
     * then its row stays leased for the next start to resume. Safe to call twice.
     */
    async stopLoops() {
      stopping.abort();
      await Promise.all([submitLoop?.stop(), pollLoop?.stop(), creditLoop?.stop(), stallLoop?.stop(), submitter.stop()]);
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
