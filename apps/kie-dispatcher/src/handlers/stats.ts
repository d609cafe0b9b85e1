import type { RpcRequest, RpcResponse } from '@neurocards/contracts';
import type { Logger, Sql } from '@neurocards/platform';
import type { KeyPool } from '../adapters/key-pool';
import type { ModelStore } from '../adapters/model-store';
import { inFlightByKey, queueDepth } from '../adapters/tasks-repo';
import { disabledBy, isOffered, stateOf } from '../domain/availability';
import { health, inWindow, keyHealth, pendingInWindow, type SubmitRate } from '../domain/keys';
import type { CreditMonitor } from './credits';

export interface AdminDeps {
  sql: Sql;
  pool: KeyPool;
  models: ModelStore;
  credits: CreditMonitor;
  /** KIE_MODELS, in order. */
  offered: readonly string[];
  rate: SubmitRate;
  maxInFlight: number;
  clock: () => number;
  log: Logger;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** `kie.keys.stats`: queue depth, every key and account, and the models, for `/stats` and `/keys`. */
export function createStatsHandler(d: AdminDeps) {
  return async (): Promise<RpcResponse<'kie.keys.stats'>> => {
    const now = d.clock();
    const [depth, inFlight, accounts, availability, credits] = await Promise.all([
      queueDepth(d.sql),
      inFlightByKey(d.sql),
      d.pool.snapshot(),
      d.models.read(),
      d.credits.read(),
    ]);
    return {
      queueDepth: depth,
      keys: accounts.flatMap((a) =>
        a.keys.map((k) => {
          const h = keyHealth(a.state, k, now);
          return {
            name: k,
            account: a.name,
            state: h.state,
            inFlight: inFlight.get(k) ?? 0,
            until: iso(h.until),
            reason: h.reason,
          };
        }),
      ),
      accounts: accounts.map((a) => {
        const h = health(a.state, now);
        const c = credits[a.name];
        return {
          name: a.name,
          state: h.state,
          until: iso(h.until),
          budgetUsed:
            inWindow(a.state.recent, now, d.rate).length +
            pendingInWindow(a.state.pending, now, d.rate).length,
          budgetLimit: d.rate.limit,
          inFlight: a.keys.reduce((n, k) => n + (inFlight.get(k) ?? 0), 0),
          maxInFlight: d.maxInFlight,
          credits: c?.credits ?? null,
          creditsCheckedAt: iso(c?.checkedAt ?? null),
        };
      }),
      models: d.offered.map((id) => ({
        id,
        offered: isOffered(availability, id, d.pool.accounts),
        disabledBy: disabledBy(availability, id, d.pool.accounts),
        unavailableOn: Object.keys(stateOf(availability, id).unavailableOn),
      })),
    };
  };
}

/**
 * `kie.keys.unblock`: lifts the block or cool-down of a key, or of an account and every key
 * of it (by the account's name). The account's model unavailability is left as it is (that
 * is `kie.models.set`).
 */
export function createUnblockHandler(d: AdminDeps) {
  const log = d.log.child({ module: 'admin' });
  return async (req: RpcRequest<'kie.keys.unblock'>): Promise<RpcResponse<'kie.keys.unblock'>> => {
    const res = await d.pool.unblock(req.target, d.clock());
    log.info({ adminId: req.adminId, target: req.target, ...res }, 'admin unblocked KIE keys');
    return res;
  };
}

/** `kie.models.set`: on offers the model again on every account; off stops offering it. */
export function createModelsSetHandler(d: AdminDeps) {
  const log = d.log.child({ module: 'admin' });
  return async (req: RpcRequest<'kie.models.set'>): Promise<RpcResponse<'kie.models.set'>> => {
    if (!d.offered.includes(req.model)) {
      log.info(
        { adminId: req.adminId, model: req.model, enabled: req.enabled },
        'admin set an unknown model; nothing changed',
      );
      return { model: req.model, known: false, offered: false };
    }
    const offered = await d.models.set(req.model, req.enabled, d.clock());
    log.info(
      { adminId: req.adminId, model: req.model, enabled: req.enabled, offered },
      'admin set a KIE model',
    );
    return { model: req.model, known: true, offered };
  };
}
