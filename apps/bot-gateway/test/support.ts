import { deflateSync } from 'node:zlib';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { decodeEvent, type AnyEvent, type ModelOffer, type StreamName, type Subject } from '@neurocards/contracts';
import { createRuntime, openKv, type Runtime } from '@neurocards/platform';
import type { Update } from 'grammy/types';
import { loadConfig } from '../src/config';
import { createGateway, type GatewayOptions } from '../src/gateway';

/**
 * A stand-in for billing (`billing.balance.get`, `billing.credits.grant`) with an in-memory
 * ledger. It answers for the given users only: other suites share the NATS server, and
 * their requests are not ours to answer.
 */
export function serveTestBilling(nc: NatsConnection, users: ReadonlySet<number>, startBalance: number) {
  const balances = new Map<number, number>();
  const grants: Array<{ grantId: string; userId: number; amount: number; grantedBy: string; locale?: string }> = [];
  const balanceOf = (userId: number) => balances.get(userId) ?? startBalance;
  const subs: Subscription[] = [
    nc.subscribe('billing.balance.get'),
    nc.subscribe('billing.credits.grant'),
    nc.subscribe('billing.ledger.list'),
  ];
  const [balanceSub, grantSub, ledgerSub] = subs as [Subscription, Subscription, Subscription];
  void (async () => {
    // Grants only (this fake holds no orders), newest first, dated now, as billing lists them.
    for await (const m of ledgerSub) {
      const { userId, limit } = m.json<{ userId: number; limit: number }>();
      if (!users.has(userId)) continue;
      const lines = grants
        .filter((g) => g.userId === userId)
        .reverse()
        .slice(0, limit)
        .map((g) => ({ kind: 'grant', amount: g.amount, orderId: null, grantedBy: g.grantedBy, at: new Date().toISOString() }));
      m.respond(JSON.stringify({ lines }));
    }
  })();
  void (async () => {
    for await (const m of balanceSub) {
      const { userId } = m.json<{ userId: number }>();
      if (users.has(userId)) m.respond(JSON.stringify({ userId, balance: balanceOf(userId), held: 0 }));
    }
  })();
  void (async () => {
    for await (const m of grantSub) {
      const req = m.json<{ grantId: string; userId: number; amount: number; grantedBy: string | number; locale?: string }>();
      if (!users.has(req.userId)) continue;
      const applied = !grants.some((g) => g.grantId === req.grantId);
      if (applied) {
        grants.push({ ...req, grantedBy: String(req.grantedBy) });
        balances.set(req.userId, balanceOf(req.userId) + req.amount);
      }
      m.respond(
        JSON.stringify({ grantId: req.grantId, userId: req.userId, balance: balanceOf(req.userId), applied }),
      );
    }
  })();
  return { grants, balanceOf, stop: () => subs.forEach((s) => s.unsubscribe()) };
}

/** A valid 2×2 RGB PNG. */
export function png(): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(rows)),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

/** A model as kie-dispatcher offers it; `over` changes the id, price, label… */
export function offeredModel(over: Partial<ModelOffer['models'][number]> = {}): ModelOffer['models'][number] {
  return {
    id: 'kling-3.0/video',
    label: 'Kling 3.0',
    family: 'market',
    creditsPerVideo: 1,
    durations: [5, 10],
    defaultDuration: 5,
    aspectRatios: ['portrait', 'landscape'],
    sound: true,
    ...over,
  };
}

/** Writes an offer to KV `kie_models` under `key` (tests use their own key, never `offer`). */
export async function putTestOffer(nc: NatsConnection, key: string, models: ModelOffer['models']): Promise<void> {
  const kv = await openKv(nc, 'kie_models', 1);
  const offer: ModelOffer = { models, updatedAt: new Date().toISOString() };
  await kv.put(key, JSON.stringify(offer));
}

/**
 * A private NATS server (JetStream, file store in a temp dir) that a test may stop and start
 * again on the same port and store — a NATS restart as production sees it. Needs the
 * `nats-server` binary on PATH (Debian package `nats-server`; `pnpm sandbox` installs it).
 */
export async function startPrivateNats(): Promise<{
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}> {
  const { spawn } = await import('node:child_process');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const net = await import('node:net');
  const port = await new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'nats-private-'));
  const answers = () =>
    new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
  let child: ReturnType<typeof spawn> | null = null;
  const start = async () => {
    child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
    const c = child;
    const failed = new Promise<never>((_, reject) => c.once('error', reject));
    for (;;) {
      if (await Promise.race([answers(), failed])) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return { url: `nats://127.0.0.1:${port}`, start, stop, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A runtime for a gateway under test: no signal handlers, logs silent unless TEST_LOG_LEVEL says otherwise. */
export function createTestRuntime(natsUrl: string, httpPort = 0): Promise<Runtime> {
  return createRuntime({
    service: 'bot-gateway',
    config: { NATS_URL: natsUrl, NATS_REPLICAS: 1, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' },
    httpPort,
    handleSignals: false,
  });
}

/**
 * The real gateway in polling mode against a Telegram simulator, started on a fresh runtime.
 * `env` adds config variables; `options` builds the gateway options once the runtime is
 * connected (a test may put its offer in KV there first).
 */
export async function startTestGateway(opts: {
  sim: { token: string; apiRoot: string };
  natsUrl: string;
  env?: Record<string, string>;
  options?: (rt: Runtime) => GatewayOptions | Promise<GatewayOptions>;
}): Promise<Runtime> {
  const rt = await createTestRuntime(opts.natsUrl);
  const config = loadConfig({
    BOT_TOKEN: opts.sim.token,
    TELEGRAM_API_ROOT: opts.sim.apiRoot,
    BOT_MODE: 'polling',
    NATS_URL: opts.natsUrl,
    ...opts.env,
  });
  const gateway = await createGateway(config, rt, await (opts.options?.(rt) ?? {}));
  await rt.start();
  await gateway.start();
  return rt;
}

const gatewayChildScript = fileURLToPath(new URL('./gateway-child.ts', import.meta.url));

/** Spawns test/gateway-child.ts with `env` over this process's and resolves once it says it is ready. */
export function startGatewayChild(env: Record<string, string>): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['--import', 'tsx', gatewayChildScript], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    c.once('error', reject);
    c.once('exit', (code) => reject(new Error(`gateway child exited early (${code})`)));
    c.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve(c);
    });
  });
}

/** Every `orders.order.placed.v1` of one user since `startedAt`, read with an ordered consumer. */
export async function placedOrdersOf(rt: Runtime, startedAt: string, userId: number): Promise<AnyEvent[]> {
  return eventsSince(rt, 'ORDERS', 'orders.order.placed.v1', startedAt, (e) => e.type === 'orders.order.placed.v1' && e.data.userId === userId);
}

/** Every `users.language.set.v1` of one chat since `startedAt`. */
export async function languageChoicesOf(rt: Runtime, startedAt: string, chatId: number): Promise<AnyEvent[]> {
  return eventsSince(rt, 'USERS', 'users.language.set.v1', startedAt, (e) => e.type === 'users.language.set.v1' && e.data.chatId === chatId);
}

async function eventsSince(
  rt: Runtime,
  stream: StreamName,
  subject: Subject,
  startedAt: string,
  keep: (e: AnyEvent) => boolean,
): Promise<AnyEvent[]> {
  const c = await rt.js.consumers.get(stream, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: startedAt,
  });
  const out: AnyEvent[] = [];
  const info = await c.info(true);
  if (info.num_pending === 0) return out;
  const iter = await c.fetch({ max_messages: info.num_pending, expires: 5000 });
  for await (const m of iter) {
    const e = decodeEvent(m.subject, m.data);
    if (keep(e)) out.push(e);
    if (m.info.pending === 0) break;
  }
  return out;
}

/** Every `payments.star.paid.v1` of one user since `startedAt`. */
export async function paymentsOf(rt: Runtime, startedAt: string, userId: number): Promise<AnyEvent[]> {
  return eventsSince(rt, 'PAYMENTS', 'payments.star.paid.v1', startedAt, (e) => e.type === 'payments.star.paid.v1' && e.data.userId === userId);
}

/** Every `kie.queue.cancel.v1` of one user since `startedAt` (the notifier's cancel button). */
export async function cancelRequestsOf(rt: Runtime, startedAt: string, userId: number): Promise<AnyEvent[]> {
  return eventsSince(rt, 'KIE', 'kie.queue.cancel.v1', startedAt, (e) => e.type === 'kie.queue.cancel.v1' && e.data.userId === userId);
}

/** A private-chat text update with id `id`, as Telegram delivers it to a webhook. */
export const textUpdate = (id: number): Update => ({
  update_id: id,
  message: {
    message_id: 1,
    date: 0,
    chat: { id: 5, type: 'private', first_name: 'A' },
    from: { id: 5, is_bot: false, first_name: 'A' },
    text: 'hi',
  },
});
