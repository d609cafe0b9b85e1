import type { KV } from '@nats-io/kv';
import { MODEL_OFFER_KEY, modelOffer } from '@neurocards/contracts';
import type { Logger } from '@neurocards/platform';
import type { OfferedModel } from '../domain/offer';

/**
 * The models on offer, as kie-dispatcher writes them to KV `kie_models` under `offer`.
 * An empty list means nothing can be ordered right now: the dispatcher has not written an
 * offer yet, every model was withdrawn, or the value does not parse.
 */
export interface OfferSource {
  current(): Promise<readonly OfferedModel[]>;
}

export interface OfferSourceOptions {
  log: Logger;
  /** How long a read is reused: every update asks, and the offer changes rarely. */
  ttlMs?: number;
  /** Tests isolate themselves under their own key in the shared bucket. */
  key?: string;
  now?: () => number;
}

/** A few seconds: a withdrawn model stops being offered almost at once, at little cost. */
const DEFAULT_TTL_MS = 5000;

export function createOfferSource(kv: KV, opts: OfferSourceOptions): OfferSource {
  const log = opts.log.child({ module: 'model-offer' });
  const key = opts.key ?? MODEL_OFFER_KEY;
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
  const now = opts.now ?? Date.now;
  let cached: { models: readonly OfferedModel[]; at: number } | null = null;

  async function read(): Promise<readonly OfferedModel[]> {
    const e = await kv.get(key);
    if (!e || e.operation !== 'PUT') return [];
    let json: unknown;
    try {
      json = e.json();
    } catch {
      json = null;
    }
    const parsed = modelOffer.safeParse(json);
    if (!parsed.success) {
      log.error({ key, revision: e.revision, err: parsed.error }, 'model offer does not parse; offering nothing');
      return [];
    }
    return parsed.data.models;
  }

  return {
    async current() {
      if (cached && now() - cached.at < ttlMs) return cached.models;
      try {
        const models = await read();
        cached = { models, at: now() };
        return models;
      } catch (err) {
        // NATS trouble: the last known offer is better than refusing every order; with
        // none known, nothing is offered (the seller is told it is temporarily unavailable).
        log.warn({ err }, 'could not read the model offer');
        return cached?.models ?? [];
      }
    },
  };
}
