import type { RpcResponse } from '@neurocards/contracts';
import type { Sql } from '@neurocards/platform';
import type { KeyPool } from '../adapters/key-pool';
import { inFlightByKey, queueDepth } from '../adapters/tasks-repo';
import { health } from '../domain/keys';

/** `kie.keys.stats`: queue depth and per-key state, for the admins' /stats. */
export function createStatsHandler(d: { sql: Sql; pool: KeyPool; clock: () => number }) {
  return async (): Promise<RpcResponse<'kie.keys.stats'>> => {
    const now = d.clock();
    const [depth, inFlight, keys] = await Promise.all([
      queueDepth(d.sql),
      inFlightByKey(d.sql),
      d.pool.snapshot(),
    ]);
    return {
      queueDepth: depth,
      keys: keys.map((k) => {
        const h = health(k.state, now);
        return {
          name: k.name,
          account: k.name,
          state: h.state,
          inFlight: inFlight.get(k.name) ?? 0,
          until: h.until === null ? null : new Date(h.until).toISOString(),
          reason: k.state.blockedReason,
        };
      }),
      accounts: [],
      models: [],
    };
  };
}
