import type { FastifyInstance } from 'fastify';
import type { KV, Logger, ObjectStore, Sql } from '@neurocards/platform';
import { createKeyPool, type KeyPool } from './adapters/key-pool';
import { createKieClient, type KieClient } from './adapters/kie-client';
import { createPhotoStore } from './adapters/photo-store';
import type { Config } from './config';
import { registerCallbackRoute } from './handlers/callback';
import { startLoop, type Loop } from './handlers/loop';
import { createOutcomes, type Outcomes } from './handlers/outcomes';
import { createPoller } from './handlers/poller';
import { createStatsHandler } from './handlers/stats';
import { createSubmitConsumer } from './handlers/submit-consumer';
import { createSubmitter } from './handlers/submitter';
import { createVideoFailedConsumer } from './handlers/video-failed-consumer';

export type DispatcherConfig = Pick<
  Config,
  | 'KIE_BASE_URL'
  | 'KIE_UPLOAD_BASE_URL'
  | 'KIE_API_KEYS'
  | 'KIE_MODEL'
  | 'KIE_WEBHOOK_HMAC_KEY'
  | 'KIE_SUBMIT_RATE'
  | 'KIE_MAX_IN_FLIGHT'
  | 'KIE_BILLING_FAILOVER'
  | 'GENERATION_DEADLINE'
  | 'callbackBaseUrl'
>;

export interface DispatcherDeps {
  sql: Sql;
  kv: KV;
  photosBucket: ObjectStore;
  config: DispatcherConfig;
  log: Logger;
  clock?: () => number;
  /** KV key prefix for per-key state; tests pass a unique one. */
  keyPrefix?: string;
  kie?: KieClient;
  /** Loop cadence (ms): how soon queued work and due polls are noticed. */
  submitIntervalMs?: number;
  pollIntervalMs?: number;
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
  const pool: KeyPool = createKeyPool({
    kv: d.kv,
    names: cfg.KIE_API_KEYS.map((k) => k.name),
    rate: cfg.KIE_SUBMIT_RATE,
    maxInFlight: cfg.KIE_MAX_IN_FLIGHT,
    ...(d.keyParallelism ? { parallel: d.keyParallelism } : {}),
    ...(d.pollsPerSecondPerKey ? { pollsPerSecond: d.pollsPerSecondPerKey } : {}),
    ...(d.keyPrefix ? { prefix: d.keyPrefix } : {}),
  });
  const kie = d.kie ?? createKieClient({ baseUrl: cfg.KIE_BASE_URL, uploadBaseUrl: cfg.KIE_UPLOAD_BASE_URL });
  const outcomes: Outcomes = createOutcomes({
    sql: d.sql,
    pool,
    clock,
    billingFailover: cfg.KIE_BILLING_FAILOVER,
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
    model: cfg.KIE_MODEL,
    callbackBaseUrl: cfg.callbackBaseUrl,
    deadlineMs: cfg.GENERATION_DEADLINE,
    rate: cfg.KIE_SUBMIT_RATE,
    maxInFlight: cfg.KIE_MAX_IN_FLIGHT,
    ...(d.keyParallelism ? { parallel: d.keyParallelism } : {}),
    ...(d.shutdownGraceMs !== undefined ? { graceMs: d.shutdownGraceMs } : {}),
    onSettled: () => submitLoop?.wake(),
  });
  const poller = createPoller({ sql: d.sql, kie, pool, outcomes, keys: cfg.KIE_API_KEYS, clock, log: d.log });
  const stopping = new AbortController();
  let submitLoop: Loop | null = null;
  let pollLoop: Loop | null = null;

  return {
    pool,
    outcomes,
    submitter,
    poller,
    stats: createStatsHandler({ sql: d.sql, pool, clock }),
    submitHandler: createSubmitConsumer({ sql: d.sql, clock, onQueued: () => submitLoop?.wake() }),
    videoFailedHandler: createVideoFailedConsumer({ sql: d.sql, clock }),
    registerRoutes(app: FastifyInstance) {
      registerCallbackRoute(app, {
        sql: d.sql,
        outcomes,
        clock,
        log: d.log,
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
    },
    /**
     * Stops both loops within the platform's shutdown deadline: no new uploads, createTask or
     * polls; uploads and polls in flight are aborted; a createTask in flight gets a short grace,
     * then its row stays leased for the next start to resume. Safe to call twice.
     */
    async stopLoops() {
      stopping.abort();
      await Promise.all([submitLoop?.stop(), pollLoop?.stop(), submitter.stop()]);
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
