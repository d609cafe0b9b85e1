import type { NatsConnection } from '@nats-io/transport-node';
import { requestRpc, type Logger } from '@neurocards/platform';

/** The user's spendable balance from billing, or null when billing does not answer in time. */
export type BalanceLookup = (userId: number) => Promise<number | null>;

export function createBalanceLookup(nc: NatsConnection, timeoutMs: number, log: Logger): BalanceLookup {
  return async (userId) => {
    try {
      const res = await requestRpc(nc, 'billing.balance.get', { userId }, timeoutMs);
      return res.balance;
    } catch (err) {
      // A summary without the balance beats no summary (or a stuck one).
      log.warn({ err, userId }, 'billing.balance.get failed; summary goes without the balance');
      return null;
    }
  };
}
