import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  messages: Counter<'consumer' | 'outcome'>;
  handlerSeconds: Histogram<'consumer'>;
  outboxPublished: Counter<'schema'>;
}

/** One registry per service process, with the process' default metrics. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    messages: new Counter({
      name: 'neurocards_messages_total',
      help: 'Messages handled by a consumer, by outcome (ok, retry, parked)',
      labelNames: ['consumer', 'outcome'],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'neurocards_handler_seconds',
      help: 'Time a consumer handler took',
      labelNames: ['consumer'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
      registers: [registry],
    }),
    outboxPublished: new Counter({
      name: 'neurocards_outbox_published_total',
      help: 'Events relayed from the transactional outbox to JetStream',
      labelNames: ['schema'],
      registers: [registry],
    }),
  };
}
