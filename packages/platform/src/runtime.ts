import type { FastifyInstance } from 'fastify';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  consumers as topology,
  streamOf,
  type ConsumerOf,
  type DurableOf,
  type ServiceName,
  type Subject,
  type SubjectOf,
} from '@neurocards/contracts';
import { startConsumer, type Handler, type RunningConsumer } from './consumer';
import { buildHttpServer } from './http';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { registerConsumerMetrics, registerOutboxMetrics } from './collectors';
import { connectNats, jetstream, jetstreamManager, provisionConsumers, provisionStreams } from './nats';
import { startOutboxRelay, type OutboxRelay } from './outbox';
import { startLoop, type Loop } from './loop';
import { connectPostgres, migrate, reapStuckStatements, STUCK_STATEMENT_AFTER_MS, type Migration, type Sql } from './postgres';
import { waitProvisioned, setProvisionMode, type ProvisionMode } from './provision';
import { createPublisher, type Publish } from './publish';
import { createShutdown, onSignals, type Shutdown } from './shutdown';
import { startStartupHealth, waitFor } from './startup';

/** The variables every service reads (platform `commonEnv`), as its parsed config has them. */
export interface CommonConfig {
  NATS_URL: string;
  NATS_REPLICAS: number;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  LOG_LEVEL: string;
  /** `apply` (default) or `check` (provision.ts); absent in hand-built test configs. */
  NATS_PROVISION?: ProvisionMode | undefined;
  /** `databaseEnv`: the pool size when the service does not pass its own. */
  DATABASE_POOL_SIZE?: number | undefined;
}

export interface DatabaseOptions {
  url: string;
  schema: string;
  migrations: Migration[];
  poolSize?: number;
}

export interface RuntimeOptions<N extends ServiceName = ServiceName> {
  service: N;
  /** The service's parsed config; only the common variables are read here. */
  config: CommonConfig;
  httpPort: number;
  /** Services that own a Postgres schema: migrations run and the outbox relay starts. */
  database?: DatabaseOptions;
  /** Install SIGTERM/SIGINT handlers (off in tests that drive shutdown themselves). */
  handleSignals?: boolean;
  /**
   * Run the database migrations and exit 0, touching nothing else (no NATS, no HTTP): the
   * Kubernetes migrations Job. Default: the process was started with `--migrate-only`.
   */
  migrateOnly?: boolean;
}

/** Per-subject handlers for any subjects (tests and tools; services use `HandlersOf`). */
export type Handlers = { [S in Subject]?: Handler<S> };

/** Exactly one handler per consumer of service `N` in the topology, keyed by its subject. */
export type HandlersOf<N extends ServiceName> = { [S in SubjectOf<N>]: Handler<S> };

/** `H`, rejected when it carries a handler for a subject the service does not consume. */
type Exactly<N extends ServiceName, H> = H & Record<Exclude<keyof H, SubjectOf<N>>, never>;

/**
 * A service's runtime. `Db` is `Sql` when the service declared a database (its `sql` and
 * `outbox` are then always there), `null` otherwise.
 */
export interface Runtime<N extends ServiceName = ServiceName, Db extends Sql | null = Sql | null> {
  service: N;
  log: Logger;
  metrics: Metrics;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Direct publish (services without Postgres); others use the outbox. */
  publish: Publish;
  sql: Db;
  outbox: Db extends Sql ? OutboxRelay : null;
  http: FastifyInstance;
  shutdown: Shutdown;
  /** Starts this service's durable consumers (design topology) with the given handlers. */
  consume<H extends HandlersOf<N>>(
    handlers: Exactly<N, H>,
    concurrency?: Partial<Record<DurableOf<N>, number>>,
  ): Promise<RunningConsumer[]>;
  /** Listens on the HTTP port and marks the service ready. */
  start(): Promise<void>;
}

/**
 * The wiring every service shares: logger, metrics, NATS (streams provisioned), optional
 * Postgres (migrated) with its outbox relay, HTTP health/metrics, and an ordered shutdown:
 * readiness off → consumers stop and finish in-flight work → service steps → outbox flush →
 * HTTP close → NATS drain → SQL end.
 */
export function createRuntime<N extends ServiceName>(
  opts: RuntimeOptions<N> & { database: DatabaseOptions },
): Promise<Runtime<N, Sql>>;
export function createRuntime<N extends ServiceName>(
  opts: RuntimeOptions<N> & { database?: undefined },
): Promise<Runtime<N, null>>;
export async function createRuntime<N extends ServiceName>(opts: RuntimeOptions<N>): Promise<Runtime<N>> {
  const { NATS_URL, NATS_REPLICAS, LOG_LEVEL } = opts.config;
  const log = createLogger(opts.service, LOG_LEVEL);
  if (opts.migrateOnly ?? process.argv.includes('--migrate-only')) return migrateOnlyAndExit(opts, log);
  const provision = opts.config.NATS_PROVISION ?? 'apply';
  setProvisionMode(provision);
  const metrics = createMetrics(opts.service);
  const shutdown = createShutdown(log);
  let ready = false;

  // Until start(), the port answers /healthz 200 and /readyz 503: the service is alive and
  // waiting for NATS and PostgreSQL, which may start after it or be restarting.
  const early = opts.httpPort > 0 ? await startStartupHealth(opts.httpPort, log) : { close: async () => undefined };
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let sql: Sql | null = null;
  let outbox: OutboxRelay | null = null;
  let reaper: Loop | null = null;
  let publish: Publish;
  let js: JetStreamClient;
  try {
    // Waits for NATS itself (waitOnFirstConnect, retried forever).
    nc = await connectNats(NATS_URL, opts.service, log, {
      user: opts.config.NATS_USER,
      pass: opts.config.NATS_PASSWORD,
    });
    jsm = await jetstreamManager(nc);
    registerConsumerMetrics({ registry: metrics.registry, log, jsm, service: opts.service });
    // check: a deploy-time Job provisioned; readiness stays off (naming what is missing) until it has.
    if (provision === 'check') await waitProvisioned(jsm, opts.service, log);
    else await provisionStreams(jsm, NATS_REPLICAS);
    js = jetstream(nc);
    publish = createPublisher(js);

    if (opts.database) {
      const { url, schema, migrations } = opts.database;
      const poolSize = opts.database.poolSize ?? opts.config.DATABASE_POOL_SIZE;
      const db = connectPostgres({ url, schema, log, ...(poolSize ? { max: poolSize } : {}) });
      sql = db;
      // The first query connects: PostgreSQL down or "starting up" is waited out with back-off.
      await waitFor('postgres', () => migrate(db, schema, migrations, log), log);
      outbox = await startOutboxRelay({ sql: db, schema, publish, log, metrics });
      registerOutboxMetrics({ registry: metrics.registry, log, sql: db });
      reaper = startLoop({
        name: 'stuck-statements',
        intervalMs: STUCK_STATEMENT_AFTER_MS / 2,
        log,
        async tick() {
          for (const s of await reapStuckStatements(db, schema))
            log.error(s, 'ended a backend stuck mid-statement (a connection the driver lost track of)');
          return false;
        },
      });
    }
  } catch (err) {
    await early.close();
    throw err;
  }

  const http = buildHttpServer({ log, metrics, isReady: () => ready && !shutdown.stopping });
  const running: RunningConsumer[] = [];
  const late: Array<{ name: string; step: () => Promise<unknown> | unknown }> = [];

  const runtime: Runtime<N> = {
    service: opts.service,
    log,
    metrics,
    nc,
    js,
    jsm,
    publish,
    sql,
    outbox: outbox as Runtime<N>['outbox'],
    http,
    shutdown: {
      get stopping() {
        return shutdown.stopping;
      },
      // Service steps run after consumers stop and before the outbox, HTTP and connections close.
      add: (name, step) => void late.push({ name, step }),
      run: (reason) => shutdown.run(reason),
    },
    async consume(handlers, concurrency = {}) {
      const defs: readonly ConsumerOf<N>[] = topology[opts.service];
      const started: RunningConsumer[] = [];
      for (const def of defs) {
        const handler = (handlers as Handlers)[def.subject] as Handler<Subject> | undefined;
        if (!handler) throw new Error(`${opts.service}: no handler for consumer ${def.durable} (${def.subject})`);
        const stream = streamOf(def.subject);
        if (provision === 'apply') await provisionConsumers(jsm, stream, [def]);
        const c = await startConsumer({
          js,
          stream,
          def,
          handler,
          log,
          metrics,
          concurrency: (concurrency as Partial<Record<string, number>>)[def.durable] ?? 8,
        });
        running.push(c);
        started.push(c);
      }
      return started;
    },
    async start() {
      await early.close();
      await http.listen({ host: '0.0.0.0', port: opts.httpPort });
      ready = true;
      log.info({ port: opts.httpPort }, `${opts.service} started`);
    },
  };

  shutdown.add('stop consumers', () => Promise.all(running.map((c) => c.stop())));
  shutdown.add('service steps', async () => {
    for (const { name, step } of late) {
      try {
        await step();
      } catch (err) {
        log.error({ err, step: name }, 'shutdown step failed');
      }
    }
  });
  shutdown.add('outbox', () => outbox?.stop());
  shutdown.add('stuck-statement reaper', () => reaper?.stop());
  shutdown.add('http', () => http.close());
  shutdown.add('nats', () => nc.drain());
  shutdown.add('postgres', () => sql?.end({ timeout: 3 }));
  if (opts.handleSignals !== false) onSignals(shutdown);
  return runtime;
}

/** `--migrate-only`: migrate the service's schema (waiting for PostgreSQL) and exit 0. */
async function migrateOnlyAndExit(opts: RuntimeOptions, log: Logger): Promise<never> {
  if (opts.database) {
    const { url, schema, migrations } = opts.database;
    const sql = connectPostgres({ url, schema, log, max: 1 });
    await waitFor('postgres', () => migrate(sql, schema, migrations, log), log);
    await sql.end({ timeout: 5 });
    log.info({ schema, migrations: migrations.length }, `${opts.service}: migrations applied (--migrate-only)`);
  } else {
    log.info(`${opts.service} has no database: nothing to migrate (--migrate-only)`);
  }
  process.exit(0);
}
