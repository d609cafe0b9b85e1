/**
 * End-to-end capacity on this machine: S sellers each place one order of C videos at once,
 * through the Telegram simulator, with KIE answering after BENCH_KIE_LATENCY_MS. Prints how
 * long the burst took to complete, orders and videos per minute, and the seller-visible
 * latency from "confirm" to the last video. Asserts nothing. Shares the test NATS server's
 * topology streams, so do not run it beside the e2e suite.
 *   pnpm --filter @neurocards/e2e bench
 */
import { ensureBuilt } from '@neurocards/launcher';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { startStack } from '../src/stack';
import { orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

const SELLERS = Number(process.env.BENCH_SELLERS ?? 40);
const COUNT = Number(process.env.BENCH_VIDEOS ?? 3) as 1 | 3 | 5;
const KIE_LATENCY = Number(process.env.BENCH_KIE_LATENCY_MS ?? 2000);
const out = (s: string) => process.stdout.write(`${s}\n`);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

// The stack runs the services' built bundles; build what is stale first, as the e2e suite does.
await ensureBuilt();
const stack = await startStack({ kieLatencyMs: KIE_LATENCY });
try {
  // Credits go over billing's RPC (an operator's /grant would only add chat traffic); the
  // journey itself goes through the bot as a seller's would.
  const sellers = Array.from({ length: SELLERS }, (_, i) => ({ userId: 8_000_000 + i, languageCode: 'ru' }));
  for (const s of sellers) {
    await requestRpc(stack.nc, 'billing.credits.grant', { grantId: `bench:${s.userId}`, userId: s.userId, amount: COUNT, grantedBy: 'bench' });
  }

  const t0 = performance.now();
  const confirmedAt = new Map<number, number>();
  await Promise.all(
    sellers.map(async (s) => {
      await orderVideos(stack, s, COUNT);
      confirmedAt.set(s.userId, performance.now());
    }),
  );
  const tConfirmed = performance.now();
  const latencies: number[] = [];
  const seen = new Set<number>();
  await eventually(
    async () => {
      for (const s of sellers) {
        if (seen.has(s.userId)) continue;
        const videos = stack.tg.botMessages(s.userId).filter((m) => m.kind === 'video').length;
        if (videos >= COUNT) {
          seen.add(s.userId);
          latencies.push(performance.now() - confirmedAt.get(s.userId)!);
        }
      }
      return seen.size === sellers.length;
    },
    600_000,
    100,
  );
  const total = (performance.now() - t0) / 1000;
  const completed = await eventsOf(stack.nc, 'jobs.order.completed.v1');
  const failed = completed.reduce((n, e) => n + e.data.failed, 0);
  out(`sellers ${SELLERS} × ${COUNT} videos, KIE latency ${KIE_LATENCY} ms, all five services and simulators on this machine`);
  out(`  conversations (photo → confirm) for all sellers: ${((tConfirmed - t0) / 1000).toFixed(1)} s`);
  out(`  burst completed in ${total.toFixed(1)} s: ${Math.round((SELLERS / total) * 60)} orders/min, ${Math.round(((SELLERS * COUNT) / total) * 60)} videos/min`);
  out(`  confirm → last video: p50 ${(pct(latencies, 0.5) / 1000).toFixed(1)} s, p95 ${(pct(latencies, 0.95) / 1000).toFixed(1)} s, max ${(Math.max(...latencies) / 1000).toFixed(1)} s`);
  out(`  failed videos: ${failed}; createTask calls: ${stack.kie.tasks().length}`);
} finally {
  await stack.stop();
}
