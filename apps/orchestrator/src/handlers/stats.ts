import type { RpcRequest, RpcResponse } from '@neurocards/contracts';
import type { Sql } from '@neurocards/platform';
import * as store from '../adapters/store';
import { moscowDayStart } from '../domain/order';

/** `orchestrator.stats.get` for the admins' /stats: "today" is the Moscow calendar day. */
export function statsHandler(sql: Sql, clock: () => Date = () => new Date()) {
  return async (_req: RpcRequest<'orchestrator.stats.get'>): Promise<RpcResponse<'orchestrator.stats.get'>> =>
    store.stats(sql, moscowDayStart(clock()));
}
