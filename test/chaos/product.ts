import { createWriteStream } from 'node:fs';
import {
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
  startTelegramSim,
  type KieSim,
  type TelegramSim,
} from '@neurocards/sandbox';
import { freePort } from '@neurocards/platform/testing';

export interface ServiceExit {
  service: ServiceName;
  pid: number;
  code: number | string;
  at: number;
  /** Killed by the suite (a fault it injected), not an exit of the service's own. */
  injected: boolean;
  /** The service's last output lines before it ended, for the report. */
  lastLines: string[];
}

export interface Product {
  tg: TelegramSim;
  kie: KieSim;
  ports: Record<ServiceName, number>;
  exits: ServiceExit[];
  /** SIGKILLs the services' current processes together; the supervisor starts them again. */
  kill(names: ServiceName[]): Promise<void>;
  pid(name: ServiceName): number | undefined;
  /** Waits until the service's current process answers /readyz. */
  ready(name: ServiceName, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export const ADMIN_ID = 7_900_001;

/**
 * The product as `pnpm start` runs it (packages/launcher: one process per service from its built
 * bundle, restarted with back-off 1 s · 2^restarts when it ends), with the simulators in place of
 * Telegram, KIE and OpenAI. Each service gets a free HTTP_PORT, so the run never uses the default ports.
 */
export async function startProduct(opts: {
  natsUrl: string;
  databaseUrl: string;
  logFile: string;
  kie: { latencyMs: number; latencyMaxMs: number };
  sellers: number[];
}): Promise<Product> {
  // The services run from their built bundles, as `pnpm start` runs them.
  await ensureBuilt();
  const tg = await startTelegramSim({ port: 0, knownUsers: [{ userId: ADMIN_ID, languageCode: 'ru' }] });
  // Sellers started the bot long ago: the notifier may write to them (credits granted) first.
  for (const userId of opts.sellers) tg.addUser({ userId });
  const kie = await startKieSim({
    port: 0,
    latencyMs: opts.kie.latencyMs,
    behavior: { latencyMaxMs: opts.kie.latencyMaxMs },
  });
  const openai = await startOpenAiSim({ port: 0, apiKey: 'sk-chaos' });
  const ports = {} as Record<ServiceName, number>;
  for (const s of SERVICES) ports[s] = await freePort();

  const log = createWriteStream(opts.logFile);
  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NATS_URL: opts.natsUrl,
    DATABASE_URL: opts.databaseUrl,
    BOT_TOKEN: tg.token,
    TELEGRAM_API_ROOT: tg.apiRoot,
    BOT_MODE: 'polling',
    KIE_BASE_URL: kie.baseUrl,
    KIE_UPLOAD_BASE_URL: kie.uploadBaseUrl,
    KIE_API_KEYS: 'main=chaos-key-1,backup=chaos-key-2',
    OPENAI_API_KEY: 'sk-chaos',
    OPENAI_BASE_URL: openai.baseUrl,
    ADMIN_TG_IDS: String(ADMIN_ID),
    SUPPORT_CONTACT: '@support',
    // The simulator makes a video in 2–5 s, not KIE's 2–5 min: the deadline after which the
    // product gives up on a task it lost track of (a createTask cut off by a kill, whose
    // callback then got lost) is scaled down the same way, so that recovery happens in the run.
    GENERATION_DEADLINE: '2m',
    LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'info',
  };

  const exits: ServiceExit[] = [];
  const running = new Map<ServiceName, ServiceProcess>();
  const injected = new Set<number>();
  const tails = new Map<ServiceName, string[]>();
  const restarts = new Map<ServiceName, number>();
  let stopping = false;

  const onLine = (svc: ServiceName, line: string) => {
    log.write(`${new Date().toISOString()} [${svc}] ${line}\n`);
    const tail = tails.get(svc) ?? [];
    tail.push(line);
    if (tail.length > 8) tail.shift();
    tails.set(svc, tail);
  };

  const start = (name: ServiceName) => {
    const p = launchService(name, { env: base, ports, onLine });
    running.set(name, p);
    const pid = p.child.pid ?? -1;
    void p.exited.then((code) => {
      if (stopping) return;
      exits.push({
        service: name,
        pid,
        code,
        at: Date.now(),
        injected: injected.has(pid),
        lastLines: [...(tails.get(name) ?? [])],
      });
      // The same back-off as packages/launcher/src/start.ts.
      const n = restarts.get(name) ?? 0;
      restarts.set(name, n + 1);
      const delay = Math.min(30_000, 1000 * 2 ** n);
      log.write(`${new Date().toISOString()} [chaos] ${name} exited (${code}); restarting in ${delay} ms\n`);
      setTimeout(() => !stopping && start(name), delay);
    });
  };
  for (const s of SERVICES) start(s);
  await waitUntilReady(ports, 120_000).catch((err: Error) => {
    throw new Error(`${err.message}; see ${opts.logFile}`);
  });

  return {
    tg,
    kie,
    ports,
    exits,
    pid: (name) => running.get(name)?.child.pid,
    ready: (name, timeoutMs) => waitUntilReady({ [name]: ports[name] }, timeoutMs),
    async kill(names) {
      const procs = names.map((n) => running.get(n)!);
      for (const p of procs) {
        injected.add(p.child.pid!);
        p.child.kill('SIGKILL');
      }
      await Promise.all(procs.map((p) => p.exited));
    },
    async stop() {
      stopping = true;
      const all = [...running.values()];
      for (const p of all)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      await Promise.all(all.map((p) => p.exited));
      await Promise.allSettled([tg.close(), kie.close(), openai.close()]);
      await new Promise((r) => log.end(r));
    },
  };
}
