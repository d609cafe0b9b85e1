import type { NatsConnection } from '@nats-io/transport-node';
import { placedOrders, readOrchestrator, readOutbox, sendingDeliveries, type Sql } from './state';

export interface Settled {
  settled: boolean;
  waitedMs: number;
  /** What was still moving when the bound ran out. */
  pending: string;
  /** The longest a delivery stayed 'sending' while the run settled (a dead worker's lease). */
  longestSending?: { key: string; ageS: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * "Settled": no order or job in flight, every outbox drained, no delivery being sent, and the
 * orchestrator knows every placed order — twice in a row. A bound keeps a stuck order from
 * hanging the run; the invariants then fail it by id.
 */
export async function settle(
  sql: Sql,
  nc: NatsConnection,
  boundMs: number,
  onProgress: (line: string) => void,
): Promise<Settled> {
  const start = Date.now();
  let quietBefore = false;
  let pending = 'not checked';
  let lastReport = 0;
  let longestSending: { key: string; ageS: number } | undefined;
  while (Date.now() - start < boundMs) {
    try {
      const { orders, jobs } = await readOrchestrator(sql);
      const known = new Set(orders.map((o) => o.orderId));
      const unknown = (await placedOrders(nc)).filter((p) => !known.has(p.orderId)).length;
      const openOrders = orders.filter((o) => o.status === 'placed' || o.status === 'active').length;
      const openJobs = jobs.filter((j) => j.state !== 'delivered' && j.state !== 'failed').length;
      const outbox = Object.values(await readOutbox(sql)).reduce((a, b) => a + b, 0);
      const claimed = await sendingDeliveries(sql);
      const sending = claimed.length;
      for (const c of claimed) if (c.ageS > (longestSending?.ageS ?? 0)) longestSending = c;
      pending = `${openOrders} orders and ${openJobs} videos in flight, ${outbox} outbox events, ${sending} deliveries sending, ${unknown} placed orders unknown to the orchestrator`;
      const quiet = openOrders + openJobs + outbox + sending + unknown === 0;
      if (quiet && quietBefore)
        return {
          settled: true,
          waitedMs: Date.now() - start,
          pending: '',
          ...(longestSending ? { longestSending } : {}),
        };
      quietBefore = quiet;
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        onProgress(`[chaos] settling (${Math.round((Date.now() - start) / 1000)} s): ${pending}`);
      }
    } catch (err) {
      quietBefore = false;
      pending = `state unreadable: ${(err as Error).message}`;
    }
    await sleep(quietBefore ? 5000 : 2000);
  }
  return {
    settled: false,
    waitedMs: Date.now() - start,
    pending,
    ...(longestSending ? { longestSending } : {}),
  };
}
