import { MODEL_OFFER_KEY, modelOffer, type ModelOffer } from '@neurocards/contracts';
import { kvMutate, type KV } from '@neurocards/platform';
import {
  buildOffer,
  isOffered,
  markUnavailable,
  setEnabled,
  type Availability,
} from '../domain/availability';

/**
 * The `kie_models` KV bucket: `availability` (which model runs on which account, admins'
 * switches; revision-checked writes) and the offer under `MODEL_OFFER_KEY`, rewritten from
 * it whenever it changes. Bot-gateway reads the offer; every replica reads availability.
 */
export interface ModelStore {
  read(): Promise<Availability>;
  /** KIE refused the model on the account: marks it, rewrites the offer; `stillOffered` after. */
  markUnavailable(
    model: string,
    account: string,
    refusal: { code: number | null; message: string },
    now: number,
  ): Promise<{ newly: boolean; stillOffered: boolean; epoch: number }>;
  /** Admin on/off; returns whether it is offered now. */
  set(model: string, enabled: boolean, now: number): Promise<boolean>;
  /** Writes the offer from the current availability (at start; after every change). */
  publishOffer(now: number): Promise<ModelOffer>;
}

export function createModelStore(o: {
  kv: KV;
  /** KIE_MODELS, in order. */
  models: readonly string[];
  prices: Readonly<Record<string, number>>;
  accounts: readonly string[];
  /** Key prefix; tests use a unique one (the offer key is then `<prefix>offer`). */
  prefix?: string;
}): ModelStore {
  const prefix = o.prefix ?? '';
  const availabilityKey = `${prefix}availability`;
  const offerKey = `${prefix}${MODEL_OFFER_KEY}`;

  const read = async (): Promise<Availability> => {
    const e = await o.kv.get(availabilityKey);
    return e && e.operation === 'PUT' ? e.json<Availability>() : {};
  };

  async function publishOffer(now: number): Promise<ModelOffer> {
    const offer = modelOffer.parse(buildOffer(o.models, o.prices, await read(), o.accounts, now));
    await o.kv.put(offerKey, JSON.stringify(offer));
    return offer;
  }

  return {
    read,
    publishOffer,
    async markUnavailable(model, account, refusal, now) {
      const r = await kvMutate<Availability, { newly: boolean }>(o.kv, availabilityKey, {
        empty: () => ({}),
        change: (a) => {
          const m = markUnavailable(a, model, account, { ...refusal, at: now });
          return { next: m.newly ? m.next : null, result: { newly: m.newly } };
        },
      });
      const a = await read();
      if (r.newly) await publishOffer(now);
      return { newly: r.newly, stillOffered: isOffered(a, model, o.accounts), epoch: a[model]?.epoch ?? 0 };
    },
    async set(model, enabled, now) {
      await kvMutate<Availability, void>(o.kv, availabilityKey, {
        empty: () => ({}),
        change: (a) => ({ next: setEnabled(a, model, enabled), result: undefined }),
      });
      await publishOffer(now);
      return isOffered(await read(), model, o.accounts);
    },
  };
}
