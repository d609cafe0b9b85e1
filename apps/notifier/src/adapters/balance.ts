import type { NatsConnection } from '@nats-io/transport-node';
import { requestRpc, type Logger } from '@neurocards/platform';

/** Where an order's credits stand in billing; null when billing does not answer in time. */
export type SettlementLookup = (orderId: string) => Promise<{ found: boolean; settled: boolean; balance: number } | null>;

export function createSettlementLookup(nc: NatsConnection, timeoutMs: number, log: Logger): SettlementLookup {
  return async (orderId) => {
    try {
      return await requestRpc(nc, 'billing.order.get', { orderId }, timeoutMs);
    } catch (err) {
      // A summary without the balance beats no summary (or a stuck one).
      log.warn({ err, orderId }, 'billing.order.get failed; the summary may go without the balance');
      return null;
    }
  };
}
