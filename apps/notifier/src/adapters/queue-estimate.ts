import type { NatsConnection } from '@nats-io/transport-node';
import type { RpcRequest } from '@neurocards/contracts';
import { requestRpc, type Logger } from '@neurocards/platform';

/** `kie.queue.estimate`; null when the dispatcher does not answer in time (the message then says nothing of the queue). */
export function createEstimateLookup(nc: NatsConnection, timeoutMs: number, log: Logger) {
  return async (req: RpcRequest<'kie.queue.estimate'>) => {
    try {
      return await requestRpc(nc, 'kie.queue.estimate', req, timeoutMs);
    } catch (err) {
      log.warn({ err, orderId: req.orderId }, 'kie.queue.estimate failed; the status message goes without the queue');
      return null;
    }
  };
}
