import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { decodeEvent, MODEL_OFFER_KEY, modelOffer, streamOf, type AnyEvent } from '@neurocards/contracts';

/** Every event stored in a stream (the e2e stack resets streams, so this is one run's traffic). */
export async function storedEvents(nc: NatsConnection, stream: string): Promise<AnyEvent[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: AnyEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m) out.push(decodeEvent(m.subject, m.data));
  }
  return out;
}

export async function eventsOf<T extends AnyEvent['type']>(nc: NatsConnection, type: T) {
  return (await storedEvents(nc, streamOf(type))).filter((e): e is Extract<AnyEvent, { type: T }> => e.type === type);
}

/** The model ids kie-dispatcher offers sellers now (KV `kie_models`, key `offer`), in order. */
export async function offeredModels(nc: NatsConnection): Promise<string[]> {
  const kv = await new Kvm(nc).open('kie_models');
  const e = await kv.get(MODEL_OFFER_KEY);
  if (!e || e.operation !== 'PUT') return [];
  return modelOffer.parse(e.json()).models.map((m) => m.id);
}
