/**
 * Pipeline cost: the five real services, on their own NATS JetStream and the shared
 * PostgreSQL, with KIE answering at once. Orders enter as the gateway's own event
 * (`orders.order.placed.v1`, photo in the `photos` object store), so the Telegram
 * conversation (measured by the e2e tests) does not take the budget; each video still goes
 * GPT → KIE → notifier → Telegram simulator. KIE's and Telegram's rate limits are lifted on
 * purpose (the dispatcher's and the notifier's too): this part measures what the services
 * themselves cost; those limits are the evening's subject.
 */
import { randomUUID } from 'node:crypto';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ensureBuilt } from '@neurocards/launcher';
import { createEvent, decodeEvent, type AnyEvent } from '@neurocards/contracts';
import { createPublisher, openObjectStore, requestRpc } from '@neurocards/platform';
import { startStack } from '../../src/stack';
import { PRODUCT_JPEG } from '../../src/seller';
import { cpuMs, memory } from './proc';
import { pct, rng } from './sim-core';

export interface PipelineResult {
  orders: number;
  videos: number;
  seconds: number;
  ordersPerSec: number;
  videosPerSec: number;
  failed: number;
  hops: { from: string; to: string; n: number; p50: number; p95: number; p99: number }[];
  slowest: { from: string; to: string; p50: number };
  services: { name: string; cpuMsPerVideo: number; cpuShare: number; peakMiB: number }[];
  messagesPerVideo: number;
  messageBytes: number;
  raw: { messages: number; perSec: number };
  ratio: number;
}

/** The chain of one video, in order; order-level events are matched by orderId. */
const CHAIN = [
  'orders.order.placed.v1',
  'billing.credits.reserved.v1',
  'jobs.prompt.requested.v1',
  'jobs.prompt.ready.v1',
  'kie.task.submit.v1',
  'kie.task.submitted.v1',
  'kie.task.succeeded.v1',
  'jobs.video.ready.v1',
  'notify.video.sent.v1',
  'jobs.video.delivered.v1',
  'billing.credits.captured.v1',
] as const;
const ORDER_LEVEL = new Set<string>(['orders.order.placed.v1', 'billing.credits.reserved.v1']);

export async function runPipeline(o: { orders: number; seed: number; log: (s: string) => void }): Promise<PipelineResult> {
  const r = rng(o.seed);
  const sizes = Array.from({ length: o.orders }, () => {
    const x = r();
    return x < 0.55 ? 1 : x < 0.85 ? 3 : 5;
  }) as (1 | 3 | 5)[];
  const videos = sizes.reduce((s, n) => s + n, 0);
  const sellers = sizes.map((_, i) => ({ userId: 8_100_000 + i, languageCode: 'ru' }));

  await ensureBuilt();
  const stack = await startStack({
    kieLatencyMs: 0,
    kie: {
      runningCap: 1_000_000,
      credits: 1_000_000_000,
      behavior: { rateLimit: { tasks: 1_000_000, windowMs: 10_000 } },
    },
    telegram: {
      knownUsers: sellers,
      behavior: { rateLimit: { perChatPerSecond: 1000, globalPerSecond: 100_000, perChatBurst: 1000 } },
    },
    env: {
      KIE_SUBMIT_RATE: '1000000/10s',
      KIE_MAX_IN_FLIGHT: '1000000',
      TELEGRAM_GLOBAL_RATE: '100000/1s',
      TELEGRAM_CHAT_RATE: '1000/1s',
      LOG_LEVEL: 'warn',
    },
  });
  try {
    // Every event of the run, as it passes (a core subscription beside the streams).
    const seen: { e: AnyEvent; bytes: number }[] = [];
    let completed = 0;
    let failed = 0;
    let done!: () => void;
    const allDone = new Promise<void>((res) => (done = res));
    for (const prefix of ['orders.>', 'billing.>', 'jobs.>', 'kie.>', 'notify.>']) {
      stack.nc.subscribe(prefix, {
        callback: (_err, m) => {
          let e: AnyEvent;
          try {
            e = decodeEvent(m.subject, m.data);
          } catch {
            return; // an RPC or another non-event subject
          }
          seen.push({ e, bytes: m.data.length });
          if (e.type === 'jobs.order.completed.v1') {
            completed++;
            failed += e.data.failed;
            if (completed === o.orders) done();
          }
        },
      });
    }

    const photos = await openObjectStore(stack.nc, 'photos', 1);
    const publish = createPublisher(jetstream(stack.nc));
    for (const s of sellers) {
      await requestRpc(stack.nc, 'billing.credits.grant', { grantId: `peak:${s.userId}`, userId: s.userId, amount: 5, grantedBy: 'bench' });
    }
    const placed = await Promise.all(
      sellers.map(async (s) => {
        const objectKey = `peak-${s.userId}`;
        await photos.putBlob({ name: objectKey, metadata: { mimeType: 'image/jpeg' } }, PRODUCT_JPEG);
        return { s, objectKey };
      }),
    );
    const pids = new Map([...stack.processes].map(([name, p]) => [name, p.child.pid!]));
    const cpu0 = new Map([...pids].map(([n, pid]) => [n, cpuMs(pid)]));
    o.log(`  pipeline: ${o.orders} orders, ${videos} videos placed at once`);
    const t0 = performance.now();
    for (const [i, { s, objectKey }] of placed.entries()) {
      const orderId = randomUUID();
      await publish(
        createEvent({
          subject: 'orders.order.placed.v1',
          id: `peak-placed-${orderId}`,
          correlationId: orderId,
          data: {
            userId: s.userId,
            chatId: s.userId,
            locale: 'ru',
            orderId,
            template: 'ugc',
            wishes: null,
            count: sizes[i]!,
            photo: { objectKey, mimeType: 'image/jpeg', sizeBytes: PRODUCT_JPEG.length, fileUniqueId: objectKey },
          },
        }),
      );
    }
    const timeout = setTimeout(done, 15 * 60_000);
    await allDone;
    clearTimeout(timeout);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = new Map([...pids].map(([n, pid]) => [n, cpuMs(pid) - cpu0.get(n)!]));
    const mem = new Map([...pids].map(([n, pid]) => [n, memory(pid).peakMiB]));
    o.log(`  pipeline: ${completed}/${o.orders} orders completed in ${seconds.toFixed(1)} s`);

    // Per-hop latency: the time between consecutive events of one video's chain.
    const at = new Map<string, number>();
    const jobsOfOrder = new Map<string, Set<string>>();
    for (const { e } of seen) {
      const d = e.data as { orderId?: string; jobId?: string };
      const key = ORDER_LEVEL.has(e.type) ? `${e.type}|${d.orderId}` : `${e.type}|${d.jobId}`;
      const t = Date.parse(e.occurredAt);
      if (!at.has(key) || at.get(key)! > t) at.set(key, t);
      if (d.jobId && d.orderId) jobsOfOrder.set(d.orderId, (jobsOfOrder.get(d.orderId) ?? new Set()).add(d.jobId));
    }
    const hops: PipelineResult['hops'] = [];
    for (let i = 1; i < CHAIN.length; i++) {
      const from = CHAIN[i - 1]!;
      const to = CHAIN[i]!;
      const xs: number[] = [];
      for (const [orderId, jobs] of jobsOfOrder) {
        for (const jobId of jobs) {
          const a = at.get(`${from}|${ORDER_LEVEL.has(from) ? orderId : jobId}`);
          const b = at.get(`${to}|${ORDER_LEVEL.has(to) ? orderId : jobId}`);
          if (a !== undefined && b !== undefined) xs.push(b - a);
          if (ORDER_LEVEL.has(from) && ORDER_LEVEL.has(to)) break; // once per order
        }
      }
      hops.push({ from, to, n: xs.length, p50: pct(xs, 0.5), p95: pct(xs, 0.95), p99: pct(xs, 0.99) });
    }
    const slowest = [...hops].sort((a, b) => b.p50 - a.p50)[0]!;

    const messages = seen.length;
    const messageBytes = Math.round(seen.reduce((s, x) => s + x.bytes, 0) / Math.max(1, messages));
    const messagesPerVideo = messages / videos;
    const totalCpu = [...cpu.values()].reduce((s, x) => s + x, 0);

    const raw = await rawJetStream(stack.nc, messageBytes, 20_000);
    o.log(`  raw JetStream: ${raw.perSec.toFixed(0)} msg/s (publish → durable consume → ack, ${messageBytes} B)`);
    const videosPerSec = videos / seconds;
    return {
      orders: o.orders,
      videos,
      seconds,
      ordersPerSec: o.orders / seconds,
      videosPerSec,
      failed,
      hops,
      slowest: { from: slowest.from, to: slowest.to, p50: slowest.p50 },
      services: [...cpu].map(([name, ms]) => ({
        name,
        cpuMsPerVideo: ms / videos,
        cpuShare: ms / totalCpu,
        peakMiB: mem.get(name)!,
      })),
      messagesPerVideo,
      messageBytes,
      raw,
      ratio: videosPerSec / (raw.perSec / messagesPerVideo),
    };
  } finally {
    await stack.stop();
  }
}

/**
 * The server's own rate for the same traffic shape: publish (64 awaiting their ack at
 * once) → one durable pull consumer → ack each, messages of the pipeline's mean size.
 */
async function rawJetStream(nc: Parameters<typeof jetstream>[0], bytes: number, n: number) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'PEAK_RAW', subjects: ['peak.raw.>'] });
  await jsm.consumers.add('PEAK_RAW', { durable_name: 'peak-raw', ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  // Opaque bytes of the same size: the server's cost does not depend on what they say.
  const body = new Uint8Array(bytes).fill(0x78);
  const t0 = performance.now();
  const consumer = await js.consumers.get('PEAK_RAW', 'peak-raw');
  const messages = await consumer.consume({ max_messages: 256 });
  const consumed = (async () => {
    let got = 0;
    for await (const m of messages) {
      m.ack();
      if (++got >= n) break;
    }
  })();
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) {
        const i = next++;
        await js.publish(`peak.raw.${i % 16}`, body, { msgID: `raw-${i}` });
      }
    }),
  );
  await consumed;
  const perSec = n / ((performance.now() - t0) / 1000);
  await jsm.streams.delete('PEAK_RAW');
  return { messages: n, perSec };
}
