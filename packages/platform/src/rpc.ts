import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { rpc, rpcError, type RpcRequest, type RpcResponse, type RpcSubject } from '@neurocards/contracts';
import type { Logger } from './logger';

export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/**
 * Serves a request/reply subject in a queue group, so replicas share requests.
 * Requests and responses are validated against the contract on both sides.
 */
export function serveRpc<S extends RpcSubject>(
  nc: NatsConnection,
  subject: S,
  queue: string,
  handler: (req: RpcRequest<S>) => Promise<RpcResponse<S>>,
  log: Logger,
): Subscription {
  const sub = nc.subscribe(subject, { queue });
  void (async () => {
    for await (const m of sub) {
      void (async () => {
        try {
          const req = rpc[subject].request.safeParse(m.json());
          if (!req.success) {
            m.respond(enc({ error: { code: 'BAD_REQUEST', message: req.error.message } }));
            return;
          }
          const res = rpc[subject].response.parse(await handler(req.data as RpcRequest<S>));
          m.respond(enc(res));
        } catch (err) {
          log.error({ err, subject }, 'rpc handler failed');
          const e = err instanceof RpcError ? err : new RpcError('INTERNAL', 'internal error');
          m.respond(enc({ error: { code: e.code, message: e.message } }));
        }
      })();
    }
  })();
  return sub;
}

export async function requestRpc<S extends RpcSubject>(
  nc: NatsConnection,
  subject: S,
  request: RpcRequest<S>,
  timeoutMs = 5000,
): Promise<RpcResponse<S>> {
  const req = rpc[subject].request.parse(request);
  const m = await nc.request(subject, enc(req), { timeout: timeoutMs });
  const json: unknown = m.json();
  const failed = rpcError.safeParse(json);
  if (failed.success) throw new RpcError(failed.data.error.code, failed.data.error.message);
  return rpc[subject].response.parse(json) as RpcResponse<S>;
}
