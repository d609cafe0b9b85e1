import Fastify, { type FastifyInstance } from 'fastify';
import type { Envelope } from '@neurocards/contracts';
import { eventually, freePort } from '@neurocards/platform/testing';
// The KIE simulator (docs/design.md §5).
import { startKieSim, type KieSim } from '@neurocards/sandbox';
import { createKieClient, type KieClient } from '../src/adapters/kie-client';
import { kieCallMetrics } from '../src/adapters/metrics';
import type { Dispatcher, DispatcherConfig, DispatcherDeps } from '../src/dispatcher';
import { ctx, outboxFor, setupInfra, submitCommand, testConfig } from './testing';

/** Test-only: a dispatcher wired to the KIE simulator, real Postgres and NATS. */
export const HMAC = 'flow-hmac';
export const KEYS: Array<{ name: string; secret: string; account?: string }> = [
  { name: 'alpha', secret: 'sk-alpha' },
  { name: 'beta', secret: 'sk-beta' },
];

export interface World {
  env: Awaited<ReturnType<typeof setupInfra>>;
  sim: KieSim;
  app: FastifyInstance;
  d: Dispatcher;
  /** Moves the dispatcher's clock (back-offs, cool-downs) without waiting. */
  skip(ms: number): void;
  submit(over?: Parameters<typeof submitCommand>[0]): Promise<ReturnType<typeof submitCommand>>;
  events(orderId: string): Promise<Envelope[]>;
  /** createTask calls the simulator saw, per key name. */
  creates(): Record<string, number>;
  /** recordInfo calls the simulator saw, per key name. */
  polls(): Record<string, number>;
  close(): Promise<void>;
}

export async function startWorld(
  opts: {
    sim?: Parameters<KieSim['setBehavior']>[0];
    config?: Partial<DispatcherConfig>;
    keys?: Array<{ name: string; secret: string; account?: string }>;
    /** Extra simulator options (key caps, withdrawn models, credits). */
    simOptions?: Omit<Parameters<typeof startKieSim>[0] & object, 'accounts' | 'hmacKey' | 'keys'>;
    latencyMs?: number;
    /** Wraps the real KIE client (slow uploads, answers the simulator cannot give). */
    wrap?: (kie: KieClient) => KieClient;
    deps?: Partial<
      Pick<
        DispatcherDeps,
        'keyParallelism' | 'shutdownGraceMs' | 'pollsPerSecondPerKey' | 'creditIntervalMs' | 'registry'
      >
    >;
    /** False: the test queues work first and calls `d.startLoops()` itself. */
    loops?: boolean;
  } = {},
): Promise<World> {
  const env = await setupInfra();
  const keys = opts.keys ?? KEYS;
  // Accounts as the keys name them (a key without one is its own account).
  const accounts: Record<string, string[]> = {};
  for (const k of keys) (accounts[k.account ?? k.name] ??= []).push(k.secret);
  const sim = await startKieSim({
    accounts,
    hmacKey: HMAC,
    latencyMs: opts.latencyMs ?? 300,
    ...opts.simOptions,
  });
  if (opts.sim) sim.setBehavior(opts.sim);
  const port = await freePort();
  let offset = 0;
  const real = createKieClient({
    baseUrl: sim.baseUrl,
    uploadBaseUrl: sim.uploadBaseUrl,
    ...(opts.deps?.registry ? { observe: kieCallMetrics(opts.deps.registry) } : {}),
  });
  const d = env.dispatcher({
    clock: () => Date.now() + offset,
    submitIntervalMs: 50,
    pollIntervalMs: 50,
    kie: opts.wrap ? opts.wrap(real) : real,
    ...opts.deps,
    config: testConfig({
      KIE_BASE_URL: sim.baseUrl,
      KIE_UPLOAD_BASE_URL: sim.uploadBaseUrl,
      KIE_API_KEYS: keys,
      KIE_WEBHOOK_HMAC_KEY: HMAC,
      callbackBaseUrl: `http://127.0.0.1:${port}`,
      ...opts.config,
    }),
  });
  const app = Fastify();
  d.registerRoutes(app);
  await app.listen({ host: '127.0.0.1', port });
  if (opts.loops !== false) d.startLoops();
  const bySecret = new Map(keys.map((k) => [k.secret, k.name]));
  const counts = (field: 'createTask' | 'recordInfo') =>
    Object.fromEntries(
      Object.entries(sim.requestCounts())
        .filter(([, c]) => c[field] > 0)
        .map(([secret, c]) => [bySecret.get(secret) ?? secret, c[field]]),
    );
  return {
    env,
    sim,
    app,
    d,
    skip: (ms) => void (offset += ms),
    async submit(over = {}) {
      const photo = await env.putPhoto();
      const cmd = submitCommand({
        photo: { objectKey: photo, mimeType: 'image/jpeg', sizeBytes: 8, fileUniqueId: 'u1' },
        ...over,
      });
      await d.handlers['kie.task.submit.v1'](cmd, ctx('kie.task.submit.v1', { log: env.log }));
      return cmd;
    },
    events: (orderId) => outboxFor(env.sql, orderId),
    creates: () => counts('createTask'),
    polls: () => counts('recordInfo'),
    async close() {
      await d.stopLoops();
      await app.close();
      await sim.close();
      await env.close();
    },
  };
}

/**
 * The job's final event, once there is one. An order may hold several jobs (one per video):
 * pass `jobId` to wait for that job's own outcome, not the first of the order's.
 */
export const outcome = async (w: World, orderId: string, jobId?: string) =>
  eventually(
    async () =>
      (await w.events(orderId)).find(
        (e) =>
          (e.type === 'kie.task.succeeded.v1' || e.type === 'kie.task.failed.v1') &&
          (jobId === undefined || (e.data as { jobId: string }).jobId === jobId),
      ),
    15_000,
  );

/** A promise with its resolve, to hold a fake-slow call until the test lets it go. */
export function gate<T = void>() {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}
