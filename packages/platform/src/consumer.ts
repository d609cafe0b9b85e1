import { headers as natsHeaders } from '@nats-io/transport-node';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { decodeEvent, deadSubject, type AnyEvent, type ConsumerDef, type Subject } from '@neurocards/contracts';
import type { Logger } from './logger';
import { isTransient, PermanentError, TransientError } from './errors';
import type { Metrics } from './metrics';

export type EventOf<S extends Subject> = Extract<AnyEvent, { type: S }>;

export interface HandlerContext {
  /** The durable consumer delivering the event: the scope of `processOnce`. */
  durable: string;
  log: Logger;
  /** Tells the server the message is still being worked on (extends the ack wait). */
  working(): void;
  deliveryCount: number;
}

export type Handler<S extends Subject> = (event: EventOf<S>, ctx: HandlerContext) => Promise<void>;

export interface ConsumerOptions<S extends Subject> {
  js: JetStreamClient;
  stream: string;
  def: ConsumerDef & { subject: S };
  handler: Handler<S>;
  log: Logger;
  /** Messages handled at once by this process. */
  concurrency?: number;
  metrics?: Metrics;
  /** Delay before the n-th redelivery of a transiently failing message. */
  backoff?: (deliveryCount: number) => number;
}

export interface RunningConsumer {
  readonly durable: string;
  /** Stops pulling, waits for the messages in hand to finish, then resolves. */
  stop(): Promise<void>;
}

/** 1 s, 2 s, 4 s … capped at 60 s. */
export const defaultBackoff = (deliveryCount: number) => Math.min(60_000, 1000 * 2 ** Math.max(0, deliveryCount - 1));

/**
 * Runs one durable pull consumer with bounded concurrency.
 *
 * - The handler's effect is committed before the ack (at-least-once; handlers are idempotent).
 * - Undecodable messages and PermanentError: parked in DEAD with the reason, then term().
 * - Transient failures (TransientError, database/broker/network outages): nak(delay) with
 *   capped back-off, for as long as it takes — never parked, so an outage loses nothing.
 * - Any other error: nak(delay) with back-off; at `maxDeliver`, parked, so a bug never loops.
 * - While the handler runs, working() is sent every ackWait/3 so a slow step is not redelivered.
 */
export async function startConsumer<S extends Subject>(opts: ConsumerOptions<S>): Promise<RunningConsumer> {
  const { js, stream, def, handler, metrics } = opts;
  const concurrency = opts.concurrency ?? 8;
  const backoff = opts.backoff ?? defaultBackoff;
  const log = opts.log.child({ consumer: def.durable });
  const consumer = await js.consumers.get(stream, def.durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: concurrency });
  const inFlight = new Set<Promise<void>>();
  let stopping = false;

  const park = async (m: JsMsg, reason: string) => {
    const h = natsHeaders();
    // Header values must be one line; zod messages span several.
    const oneLine = reason.replace(/\s+/g, ' ').slice(0, 1000);
    h.set('Neurocards-Dead-Reason', oneLine);
    h.set('Neurocards-Dead-Consumer', def.durable);
    h.set('Neurocards-Dead-Subject', m.subject);
    h.set('Neurocards-Dead-Stream-Seq', String(m.info.streamSequence));
    await js.publish(deadSubject(def.durable, m.subject), m.data, {
      headers: h,
      msgID: `dead:${def.durable}:${m.info.streamSequence}`,
    });
    // No reason on term: NATS before 2.10.4 matches `+TERM` exactly and ignores `+TERM <reason>`,
    // so the message would stay pending and come back after every ack wait. The reason is
    // in the parked copy's headers.
    m.term();
    metrics?.messages.inc({ consumer: def.durable, outcome: 'parked' });
  };

  const handle = async (m: JsMsg) => {
    const deliveryCount = m.info.deliveryCount;
    let event: AnyEvent;
    try {
      event = decodeEvent(m.subject, m.data);
      if (event.type !== def.subject) throw new PermanentError(`unexpected subject ${m.subject}`);
    } catch (err) {
      log.error({ err, subject: m.subject, seq: m.info.streamSequence }, 'undecodable message parked');
      await park(m, `undecodable: ${(err as Error).message}`);
      return;
    }
    const evLog = log.child({ eventId: event.id, subject: event.type, orderId: event.correlationId });
    const heartbeat = setInterval(() => m.working(), Math.max(1000, (def.ackWaitSeconds * 1000) / 3));
    const started = performance.now();
    try {
      await handler(event as EventOf<S>, { durable: def.durable, log: evLog, working: () => m.working(), deliveryCount });
      m.ack();
      metrics?.messages.inc({ consumer: def.durable, outcome: 'ok' });
    } catch (err) {
      if (err instanceof PermanentError) {
        evLog.error({ err }, 'permanent failure; message parked');
        await park(m, `permanent: ${err.message}`);
      } else if (!isTransient(err) && deliveryCount >= def.maxDeliver) {
        evLog.error({ err, deliveryCount }, 'out of deliveries; message parked');
        await park(m, `exhausted after ${deliveryCount} deliveries: ${(err as Error).message}`);
      } else {
        const delay = err instanceof TransientError && err.retryAfterMs !== undefined ? err.retryAfterMs : backoff(deliveryCount);
        // A long outage keeps redelivering: escalate so someone looks.
        const level = deliveryCount >= def.maxDeliver ? 'error' : 'warn';
        evLog[level]({ err, deliveryCount, delayMs: delay }, 'handler failed; will be redelivered');
        m.nak(delay);
        metrics?.messages.inc({ consumer: def.durable, outcome: 'retry' });
      }
    } finally {
      clearInterval(heartbeat);
      metrics?.handlerSeconds.observe({ consumer: def.durable }, (performance.now() - started) / 1000);
    }
  };

  // A message that reaches a stopping consumer (while its subscription drains) is handled
  // like any other, not handed back: NATS 2.9 can redeliver a nak'd message straight into a
  // pull request of the subscription being closed, where the client drops it and the server
  // waits out the ack wait (a test stops a consumer mid-stream again and again). There are
  // at most a pull batch of them.
  const loop = (async () => {
    for await (const m of messages) {
      const p: Promise<void> = handle(m)
        .catch((err) => log.error({ err }, 'consumer bookkeeping failed; message left for redelivery'))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      // The pull buffer is sized to `concurrency`, but keep the bound explicit.
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
  })();

  log.info({ stream, subject: def.subject, concurrency }, 'consumer started');
  return {
    durable: def.durable,
    async stop() {
      if (stopping) return;
      stopping = true;
      // Drain the pull subscription before closing: messages the server sent before it saw
      // the unsubscribe still reach the loop and are handled. Closed outright, the client
      // drops them and the server redelivers each only after the consumer's ack wait (200 s
      // for the prompt step). nats.js ends the iterator itself once a draining subscription
      // closes (jetstream lib/consumer.js, `sub.closed`).
      const sub = (messages as unknown as { sub?: { drain(): Promise<void>; isClosed(): boolean } }).sub;
      if (sub && !sub.isClosed()) await sub.drain().catch(() => undefined);
      await messages.close();
      await loop.catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      log.info('consumer stopped');
    },
  };
}
