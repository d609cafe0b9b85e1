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
}

/** Builds every part of the service from its dependencies; main.ts and tests both use it. */
export function createDispatcher(d: DispatcherDeps) {
  const clock = d.clock ?? Date.now;
  const cfg = d.config;
  const pool: KeyPool = createKeyPool({
    kv: d.kv,
    names: cfg.KIE_API_KEYS.map((k) => k.name),
    rate: cfg.KIE_SUBMIT_RATE,
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
  });
  const poller = createPoller({ sql: d.sql, kie, outcomes, keys: cfg.KIE_API_KEYS, clock, log: d.log });
  let submitLoop: Loop | null = null;
  let pollLoop: Loop | null = null;

  return {
    pool,
    outcomes,
    submitter,
    poller,
    stats: createStatsHandler({ sql: d.sql, pool, clock }),
    submitHandler: createSubmitConsumer({ sql: d.sql, clock, onQueued: () => submitLoop?.wake() }),
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
        tick: poller.tick,
        log: d.log,
      });
    },
    /** Stops both loops after their current tick; in-hand submissions finish or stay resumable. */
    async stopLoops() {
      await Promise.all([submitLoop?.stop(), pollLoop?.stop()]);
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
