import type { NatsConnection } from '@nats-io/transport-node';
import type { RpcRequest, RpcResponse, RpcSubject } from '@neurocards/contracts';
import { requestRpc, type Logger } from '@neurocards/platform';

/**
 * Request/reply clients for what the gateway asks other services. Reads degrade: when a
 * service does not answer (down, timeout, error reply) they return null and the caller
 * says "unavailable" instead of failing the whole update.
 */
export interface BillingClient {
  /** Spendable balance, or null when billing does not answer. */
  balance(userId: number): Promise<RpcResponse<'billing.balance.get'> | null>;
  /** The latest ledger lines, or null when billing does not answer. */
  ledger(userId: number, limit: number): Promise<RpcResponse<'billing.ledger.list'> | null>;
  /** Who bought a Stars charge (for /refund), or null when billing does not answer. */
  purchase(chargeId: string): Promise<RpcResponse<'billing.purchase.get'> | null>;
  /** Takes back a refunded purchase's unspent credits, once per charge; throws when billing does not answer. */
  refund(req: RpcRequest<'billing.purchase.refund'>): Promise<RpcResponse<'billing.purchase.refund'>>;
  /** Grants credits once per grantId; throws when billing does not answer. */
  grant(req: RpcRequest<'billing.credits.grant'>): Promise<RpcResponse<'billing.credits.grant'>>;
}

export interface StatsClient {
  orchestrator(): Promise<RpcResponse<'orchestrator.stats.get'> | null>;
  kieKeys(): Promise<RpcResponse<'kie.keys.stats'> | null>;
}

/**
 * Admin changes in kie-dispatcher. They throw when the dispatcher does not answer (the
 * change may have been applied or not) or answers with an error (`RpcError`): the admin
 * must be told which, so nothing here degrades silently.
 */
export interface KieAdminClient {
  unblock(req: RpcRequest<'kie.keys.unblock'>): Promise<RpcResponse<'kie.keys.unblock'>>;
  setModel(req: RpcRequest<'kie.models.set'>): Promise<RpcResponse<'kie.models.set'>>;
}

/** The dispatcher's queue estimate; null when it does not answer (no warning is shown then). */
/** The seller's orders and videos, from the orchestrator (null: it did not answer). */
export interface OrdersClient {
  list(userId: number, limit: number): Promise<RpcResponse<'orchestrator.orders.list'> | null>;
  video(userId: number, jobId: string): Promise<RpcResponse<'orchestrator.video.get'> | null>;
}

export interface QueueClient {
  estimate(req: RpcRequest<'kie.queue.estimate'>): Promise<RpcResponse<'kie.queue.estimate'> | null>;
}

export interface RpcDeps {
  nc: NatsConnection;
  log: Logger;
  /** Users wait for the answer: a dead service must not hold the chat for long. */
  timeoutMs?: number;
}

function softRequest(deps: RpcDeps) {
  const log = deps.log.child({ module: 'rpc' });
  return async <S extends RpcSubject>(subject: S, req: RpcRequest<S>): Promise<RpcResponse<S> | null> => {
    try {
      return await requestRpc(deps.nc, subject, req, deps.timeoutMs ?? 3000);
    } catch (err) {
      log.warn({ err, subject }, 'service did not answer');
      return null;
    }
  };
}

export function createBillingClient(deps: RpcDeps): BillingClient {
  const soft = softRequest(deps);
  return {
    balance: (userId) => soft('billing.balance.get', { userId }),
    ledger: (userId, limit) => soft('billing.ledger.list', { userId, limit }),
    grant: (req) => requestRpc(deps.nc, 'billing.credits.grant', req, deps.timeoutMs ?? 3000),
    purchase: (chargeId) => soft('billing.purchase.get', { chargeId }),
    refund: (req) => requestRpc(deps.nc, 'billing.purchase.refund', req, deps.timeoutMs ?? 3000),
  };
}

export function createStatsClient(deps: RpcDeps): StatsClient {
  const soft = softRequest(deps);
  return {
    orchestrator: () => soft('orchestrator.stats.get', {}),
    kieKeys: () => soft('kie.keys.stats', {}),
  };
}

export function createKieAdminClient(deps: RpcDeps): KieAdminClient {
  const timeout = deps.timeoutMs ?? 3000;
  return {
    unblock: (req) => requestRpc(deps.nc, 'kie.keys.unblock', req, timeout),
    setModel: (req) => requestRpc(deps.nc, 'kie.models.set', req, timeout),
  };
}

export function createQueueClient(deps: RpcDeps): QueueClient {
  const soft = softRequest(deps);
  return { estimate: (req) => soft('kie.queue.estimate', req) };
}

export function createOrdersClient(deps: RpcDeps): OrdersClient {
  const soft = softRequest(deps);
  return {
    list: (userId, limit) => soft('orchestrator.orders.list', { userId, limit }),
    video: (userId, jobId) => soft('orchestrator.video.get', { userId, jobId }),
  };
}
