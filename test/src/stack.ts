import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import postgres from 'postgres';
import { buckets, consumers, streamOf, streams } from '@neurocards/contracts';
import { createTestDatabase, freePort } from '@neurocards/platform/testing';
import {
  REPO_ROOT,
  SERVICES,
  ensureBuilt,
  launchService,
  waitUntilReady,
  type ServiceName,
  type ServiceProcess,
} from '@neurocards/launcher';
import {
  startKieSim,
  startOpenAiSim,
  startSecureNats,
  startTelegramSim,
  type KieSimOptions,
  type TelegramSimOptions,
  type SecureNats,
} from '@neurocards/sandbox';
import { expectLedgerReconciles } from './ledger';

export const ADMIN_ID = 7_000_001;

/**
 * Removes every stream, KV bucket and object store of the topology, so a run never
 * sees an earlier run's messages. The e2e suite is the only user of the contract
 * streams on the test server while it runs.
 */
async function resetJetStream(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc);
  const names = [
    ...Object.keys(streams),
    ...Object.entries(buckets).map(([name, def]) => (def.kind === 'kv' ? `KV_${name}` : `OBJ_${name}`)),
  ];
  for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
}

export interface Stack {
  tg: Awaited<ReturnType<typeof startTelegramSim>>;
  kie: Awaited<ReturnType<typeof startKieSim>>;
  openai: Awaited<ReturnType<typeof startOpenAiSim>>;
  /** Connected as the NATS admin (tests observe and inject with every permission). */
  nc: NatsConnection;
  /** The run's own nats-server, with the generated per-service users. */
  nats: SecureNats;
  ports: Record<ServiceName, number>;
  /** The run's database (every service's schema), for tools that read them (`pnpm ops order`). */
  databaseUrl: string;
  processes: Map<ServiceName, ServiceProcess>;
  /** With `replicas` > 1: the further processes of each consumer service, `<service>#2`, `#3`…, each on its own HTTP port. */
  replicaProcesses: Array<ServiceProcess & { replica: number; port: number }>;
  logFile: string;
  /**
   * What a failed test needs to find where work stopped: every consumer's pending and
   * unacknowledged counts, the saga's and the dispatcher's rows, and the log's warnings.
   */
  diagnose(): Promise<string>;
  /** SIGTERM one service and resolve with its exit code. */
  terminate(name: ServiceName): Promise<number | string>;
  /** SIGKILL one service (a crash: no shutdown at all) and resolve once it is gone. */
  kill(name: ServiceName): Promise<number | string>;
  /**
   * `pnpm --filter @neurocards/billing reconcile` until clean (credits settle through events);
   * throws with the findings. `stop()` runs it too when every service is still up.
   */
  reconcile(): Promise<void>;
  /** Start a stopped service again, exactly as `pnpm start` does, and wait until it is ready. */
  restart(name: ServiceName): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  kieLatencyMs: number;
  /**
   * Extra environment for the services, over the defaults below: a test chooses its models
   * and prices (`KIE_MODELS`, `KIE_MODEL_PRICES`), accounts (`KIE_API_KEYS`), alerts…
   */
  env?: Record<string, string>;
  /** KIE simulator options: its accounts and keys, key caps, starting credits, withdrawn models. */
  kie?: Omit<KieSimOptions, 'port' | 'latencyMs'>;
  /** Telegram simulator options: users known before the run, its behaviour (limits, latency). */
  telegram?: Omit<TelegramSimOptions, 'port'>;
  /**
   * Processes of each consumer service (billing, orchestrator, kie-dispatcher, notifier);
   * default 1. bot-gateway stays one: in polling mode only one process may call getUpdates
   * (Telegram ends the other's call with 409 Conflict, as the simulator does); it scales in
   * webhook mode, behind a Service.
   */
  replicas?: number;
  /**
   * `check`: production's way: the provisioning CLI (`packages/platform/dist/provision-cli.js`)
   * creates the topology as the NATS admin first, and the services run with
   * `NATS_PROVISION=check`, creating nothing. Default: each service provisions at start.
   */
  provision?: 'apply' | 'check';
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const db = await createTestDatabase('e2e');
  // A private nats-server per run, with the users generated from the contracts: every
  // service connects as itself, so a permission mistake fails the suite.
  const natsDir = path.join(REPO_ROOT, 'test', '.nats', `run-${Date.now()}-${process.pid}`);
  // In check mode the service users get production's rights: look up, never create or update.
  const nats = await startSecureNats({ port: await freePort(), dir: natsDir, provision: opts.provision !== 'check' });
  const nc = await connect({ servers: nats.url, user: nats.admin.user, pass: nats.admin.password });
  await resetJetStream(nc);

  const tg = await startTelegramSim({ ...opts.telegram, port: 0 });
  const kie = await startKieSim({ ...opts.kie, port: 0, latencyMs: opts.kieLatencyMs });
  const openai = await startOpenAiSim({ port: 0, apiKey: 'sk-e2e' });

  const ports = {} as Record<ServiceName, number>;
  for (const s of SERVICES) ports[s] = await freePort();

  const logDir = path.join(REPO_ROOT, 'test', '.logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `e2e-${Date.now()}.log`);
  const log = createWriteStream(logFile);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    BOT_TOKEN: tg.token,
    TELEGRAM_API_ROOT: tg.apiRoot,
    BOT_MODE: 'polling',
    KIE_BASE_URL: kie.baseUrl,
    KIE_UPLOAD_BASE_URL: kie.uploadBaseUrl,
    KIE_API_KEYS: 'main=e2e-key-1,backup=e2e-key-2',
    OPENAI_API_KEY: 'sk-e2e',
    OPENAI_BASE_URL: openai.baseUrl,
    ADMIN_TG_IDS: String(ADMIN_ID),
    SUPPORT_CONTACT: '@support',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    ...opts.env,
  };
  if (opts.provision === 'check') {
    await ensureBuilt(['provision']);
    const job = spawnSync(process.execPath, [path.join(REPO_ROOT, 'packages/platform/dist/provision-cli.js')], {
      env: { PATH: process.env.PATH, NATS_URL: nats.url, NATS_USER: nats.admin.user, NATS_PASSWORD: nats.admin.password },
      encoding: 'utf8',
    });
    log.write(`[provision] ${job.stdout}${job.stderr}`);
    if (job.status !== 0) throw new Error(`provision-cli exited ${job.status}: ${job.stderr}${job.stdout}`);
    env.NATS_PROVISION = 'check';
  }
  const onLine = (svc: ServiceName, line: string) => log.write(`[${svc}] ${line}\n`);
  const processes = new Map<ServiceName, ServiceProcess>();
  const launch = (s: ServiceName) =>
    processes.set(s, launchService(s, { env, envOf: nats.envOf, ports, onLine }));
  for (const s of SERVICES) launch(s);
  await waitUntilReady(ports, 90_000).catch((err: Error) => {
    throw new Error(`${err.message}; see ${logFile}`);
  });
  const replicaProcesses: Stack['replicaProcesses'] = [];
  for (let replica = 2; replica <= (opts.replicas ?? 1); replica++)
    for (const s of SERVICES.filter((n) => n !== 'bot-gateway')) {
      const port = await freePort();
      const p = launchService(s, {
        env,
        envOf: nats.envOf,
        ports: { ...ports, [s]: port },
        onLine: (svc, line) => log.write(`[${svc}#${replica}] ${line}\n`),
      });
      replicaProcesses.push({ ...p, replica, port });
    }
  for (const p of replicaProcesses)
    await waitUntilReady({ [p.name]: p.port }, 90_000).catch((err: Error) => {
      throw new Error(`${p.name}#${p.replica}: ${err.message}; see ${logFile}`);
    });

  return {
    tg,
    kie,
    openai,
    nc,
    nats,
    ports,
    databaseUrl: db.url,
    processes,
    replicaProcesses,
    logFile,
    async diagnose() {
      const out: string[] = [];
      const jsm = await jetstreamManager(nc);
      for (const defs of Object.values(consumers))
        for (const def of defs) {
          const info = await jsm.consumers.info(streamOf(def.subject), def.durable).catch(() => null);
          if (info && (info.num_pending > 0 || info.num_ack_pending > 0 || info.num_redelivered > 0))
            out.push(`consumer ${def.durable}: pending ${info.num_pending}, unacked ${info.num_ack_pending}, redelivered ${info.num_redelivered}`);
        }
      const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
      const rows = async (title: string, q: string) => {
        const r = await sql.unsafe(q).catch((err: Error) => [{ error: err.message }]);
        out.push(`${title}:`, ...r.map((row) => `  ${JSON.stringify(row)}`));
      };
      try {
        await rows('orchestrator jobs', 'select job_id, video_index, state, failure_reason, updated_at from orchestrator.jobs order by created_at');
        await rows('kie tasks', 'select job_id, state, attempt, key_name, task_id is not null as has_task, lease_until, create_sent_at, next_poll_at from kie.tasks order by queued_at');
      } finally {
        await sql.end();
      }
      const warnings = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => /"level":(4|5|6)\d/.test(l))
        .slice(-40);
      out.push('warnings and errors (last 40):', ...warnings.map((l) => `  ${l.slice(0, 600)}`));
      return out.join('\n');
    },
    async kill(name) {
      const p = processes.get(name)!;
      p.child.kill('SIGKILL');
      return p.exited;
    },
    reconcile: () => expectLedgerReconciles(db.url),
    async terminate(name) {
      const p = processes.get(name)!;
      p.child.kill('SIGTERM');
      return p.exited;
    },
    async restart(name) {
      launch(name);
      await waitUntilReady({ [name]: ports[name] }, 60_000);
    },
    async stop() {
      const all = [...processes.values(), ...replicaProcesses];
      // Every e2e test that moved credits ends with books that reconcile. A test that left a
      // service down may leave settlements pending, so the check needs every service up.
      const reconciled = all.every((p) => p.child.exitCode === null && p.child.signalCode === null)
        ? await expectLedgerReconciles(db.url).then(() => null, (err: Error) => err)
        : null;
      for (const p of all) if (p.child.exitCode === null) p.child.kill('SIGTERM');
      await Promise.all(all.map((p) => p.exited));
      await Promise.allSettled([tg.close(), kie.close(), openai.close()]);
      await nc.drain();
      await nats.stop();
      // A refused publish or subscription is logged by the server even when the service
      // recovered from it: any such line is a permission mistake and fails the run.
      const violations = readFileSync(nats.logFile, 'utf8')
        .split('\n')
        .filter((l) => /violation/i.test(l));
      rmSync(natsDir, { recursive: true, force: true });
      await new Promise((r) => log.end(r));
      await db.drop().catch(() => undefined);
      if (violations.length > 0) throw new Error(`NATS permission violations:\n${violations.join('\n')}`);
      if (reconciled) throw reconciled;
    },
  };
}
