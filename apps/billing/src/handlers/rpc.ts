import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { createEvent, deterministicId, type RpcRequest, type RpcResponse } from '@neurocards/contracts';
import { enqueue, RpcError, serveRpc, transaction, type Logger, type Sql } from '@neurocards/platform';
import { GrantConflictError, type Ledger } from '../adapters/ledger';

export interface RpcDeps {
  sql: Sql;
  ledger: Ledger;
  log: Logger;
}

/** Replicas share requests through this queue group. */
export const RPC_QUEUE = 'billing';

/** Request/reply handlers of billing (contracts `rpc.ts`), as plain functions. */
export function createRpcHandlers({ sql, ledger, log }: RpcDeps) {
  const rlog = log.child({ module: 'rpc' });

  /** Unknown users have 0 / 0: asking does not create an account. */
  async function balanceGet(
    req: RpcRequest<'billing.balance.get'>,
  ): Promise<RpcResponse<'billing.balance.get'>> {
    const a = await ledger.readAccount(sql, req.userId);
    return { userId: a.userId, balance: a.balance, held: a.held };
  }

  /** The latest ledger lines of a user, for `/balance` (an unknown user has none). */
  async function ledgerList(req: RpcRequest<'billing.ledger.list'>): Promise<RpcResponse<'billing.ledger.list'>> {
    return { lines: await ledger.listLines(sql, req.userId, req.limit) };
  }

  /** An order's settlement, for the notifier's summary (which waits for it). */
  async function orderGet(req: RpcRequest<'billing.order.get'>): Promise<RpcResponse<'billing.order.get'>> {
    const o = await ledger.readOrder(sql, req.orderId);
    return o.found
      ? { orderId: req.orderId, found: true, settled: o.settled, balance: o.balance }
      : { orderId: req.orderId, found: false, settled: false, balance: 0 };
  }

  /** Idempotent by grantId; the granted event goes out through the outbox with the change. */
  async function grant(
    req: RpcRequest<'billing.credits.grant'>,
  ): Promise<RpcResponse<'billing.credits.grant'>> {
    try {
      const r = await transaction(sql, async (tx) => {
        const g = await ledger.grant(tx, req);
        if (g.applied) {
          await enqueue(
            tx,
            createEvent({
              subject: 'billing.credits.granted.v1',
              id: deterministicId('billing.credits.granted', req.grantId),
              data: {
                grantId: req.grantId,
                userId: req.userId,
                amount: req.amount,
                balance: g.balance,
                grantedBy: req.grantedBy,
                ...(req.locale ? { locale: req.locale } : {}),
              },
              correlationId: req.grantId,
            }),
          );
        }
        return g;
      });
      rlog.info(
        {
          grantId: req.grantId,
          userId: req.userId,
          amount: req.amount,
          applied: r.applied,
          balance: r.balance,
        },
        r.applied ? 'credits granted' : 'grant already applied',
      );
      return { grantId: req.grantId, userId: r.userId, balance: r.balance, applied: r.applied };
    } catch (err) {
      if (err instanceof GrantConflictError) throw new RpcError(err.code, err.message);
      throw err;
    }
  }

  /** Who bought a charge, for `/refund` (Telegram's refund needs the buyer). */
  async function purchaseGet(req: RpcRequest<'billing.purchase.get'>): Promise<RpcResponse<'billing.purchase.get'>> {
    const p = await ledger.readPurchase(sql, req.chargeId);
    return p ? { found: true, ...p } : { found: false, userId: null, credits: 0, stars: 0, refunded: false, held: 0 };
  }

  /** Admin `/refund`, after Telegram refunded the Stars: once per charge id. */
  async function purchaseRefund(
    req: RpcRequest<'billing.purchase.refund'>,
  ): Promise<RpcResponse<'billing.purchase.refund'>> {
    const r = await transaction(sql, (tx) =>
      ledger.refundPurchase(tx, { chargeId: req.chargeId, refundedBy: String(req.adminId) }),
    );
    if (!r.found) {
      rlog.info({ chargeId: req.chargeId, adminId: req.adminId }, 'refund of an unknown charge');
      return {
        chargeId: req.chargeId,
        found: false,
        userId: null,
        credits: 0,
        takenBack: 0,
        notTakenBack: 0,
        alreadyRefunded: false,
        balance: 0,
      };
    }
    rlog.info(
      { chargeId: req.chargeId, adminId: req.adminId, userId: r.userId, takenBack: r.takenBack, notTakenBack: r.notTakenBack, alreadyRefunded: r.alreadyRefunded },
      r.alreadyRefunded ? 'charge already refunded' : 'purchase refunded',
    );
    const { found: _f, ...rest } = r;
    return { chargeId: req.chargeId, found: true, ...rest };
  }

  return { balanceGet, ledgerList, orderGet, grant, purchaseGet, purchaseRefund };
}

/** Serves the subjects in the given queue group; returns the subscriptions to drain on shutdown. */
export function serveBillingRpc(
  nc: NatsConnection,
  handlers: ReturnType<typeof createRpcHandlers>,
  log: Logger,
  queue: string = RPC_QUEUE,
): Subscription[] {
  return [
    serveRpc(nc, 'billing.balance.get', queue, handlers.balanceGet, log),
    serveRpc(nc, 'billing.credits.grant', queue, handlers.grant, log),
    serveRpc(nc, 'billing.ledger.list', queue, handlers.ledgerList, log),
    serveRpc(nc, 'billing.order.get', queue, handlers.orderGet, log),
    serveRpc(nc, 'billing.purchase.get', queue, handlers.purchaseGet, log),
    serveRpc(nc, 'billing.purchase.refund', queue, handlers.purchaseRefund, log),
  ];
}
