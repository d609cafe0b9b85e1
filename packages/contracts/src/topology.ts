import type { Subject } from './catalog';

/** JetStream streams (docs/design.md §2). Replicas come from config: 1 locally, 3 in production. */
export const streams = {
  ORDERS: { subjects: ['orders.>'] },
  // Four-token subjects only: the three-token request/reply subjects stay out of the stream.
  BILLING: { subjects: ['billing.*.*.*'] },
  JOBS: { subjects: ['jobs.>'] },
  KIE: { subjects: ['kie.*.*.*'] },
  NOTIFY: { subjects: ['notify.>'] },
  /** bot-gateway, polling mode: each fetched Telegram update, before its offset is confirmed. */
  UPDATES: { subjects: ['telegram.>'] },
  /** Facts about users: the language each chose. */
  USERS: { subjects: ['users.>'] },
  /** Stars payments Telegram confirmed, from bot-gateway to billing. */
  PAYMENTS: { subjects: ['payments.>'] },
  DEAD: { subjects: ['dead.>'] },
} as const;

export type StreamName = keyof typeof streams;

/** The first token of a subject: `orders`, `billing`, … */
type DomainOf<S extends string> = S extends `${infer D}.${string}` ? D : never;

/** The stream that stores a subject. A new domain in the catalog fails to compile here until it has a stream. */
export function streamOf(subject: Subject): StreamName {
  const domain = subject.slice(0, subject.indexOf('.')) as DomainOf<Subject>;
  switch (domain) {
    case 'orders':
      return 'ORDERS';
    case 'billing':
      return 'BILLING';
    case 'jobs':
      return 'JOBS';
    case 'kie':
      return 'KIE';
    case 'notify':
      return 'NOTIFY';
    case 'telegram':
      return 'UPDATES';
    case 'users':
      return 'USERS';
    case 'payments':
      return 'PAYMENTS';
  }
}

/** Where a message that cannot be processed is parked: `dead.<consumer>.<original subject>`. */
export function deadSubject(consumer: string, subject: string): string {
  return `dead.${consumer}.${subject}`;
}

export interface ConsumerDef<D extends string = string, S extends Subject = Subject> {
  /** Durable name, `<service>-<purpose>`. */
  durable: D;
  /** One subject per consumer (NATS 2.9 takes a single filter subject). */
  subject: S;
  /** Deliveries before the message is parked in DEAD. */
  maxDeliver: number;
  /** Seconds the server waits for an ack before redelivering; handlers call working() to extend. */
  ackWaitSeconds: number;
}

/** Keeps the durable name and subject as literal types, so handler maps can be typed from them. */
function consumer<const D extends string, const S extends Subject>(
  durable: D,
  subject: S,
  maxDeliver = 10,
  ackWaitSeconds = 30,
): ConsumerDef<D, S> {
  return { durable, subject, maxDeliver, ackWaitSeconds };
}

/** The five services, in start order (consumers first, the bot last). The one list of names. */
export const SERVICES = ['billing', 'orchestrator', 'kie-dispatcher', 'notifier', 'bot-gateway'] as const;

export type ServiceName = (typeof SERVICES)[number];

/** Each service's HTTP port when `HTTP_PORT` is not set (docs/design.md §3). */
export const DEFAULT_PORTS = {
  'bot-gateway': 8080,
  billing: 8081,
  orchestrator: 8082,
  'kie-dispatcher': 8083,
  notifier: 8084,
} as const satisfies Record<ServiceName, number>;

/** Every durable consumer, by service. Names are `<service>-<purpose>`. */
export const consumers = {
  billing: [
    consumer('billing-order-placed', 'orders.order.placed.v1'),
    consumer('billing-video-delivered', 'jobs.video.delivered.v1'),
    consumer('billing-video-failed', 'jobs.video.failed.v1'),
    // A Stars payment: granted once by its charge id.
    consumer('billing-star-paid', 'payments.star.paid.v1'),
  ],
  orchestrator: [
    // The reserved event carries no template/wishes/photo: the orchestrator keeps them from the placed order.
    consumer('orchestrator-order-placed', 'orders.order.placed.v1'),
    consumer('orchestrator-credits-reserved', 'billing.credits.reserved.v1'),
    consumer('orchestrator-credits-rejected', 'billing.credits.rejected.v1'),
    // The prompt step calls GPT (45 s timeout, one retry): a message may also wait in the
    // pull buffer behind a full set of such calls, so the ack wait covers two of them;
    // otherwise the buffered message is redelivered and GPT is paid twice.
    consumer('orchestrator-prompt-requested', 'jobs.prompt.requested.v1', 10, 200),
    consumer('orchestrator-task-submitted', 'kie.task.submitted.v1'),
    consumer('orchestrator-task-succeeded', 'kie.task.succeeded.v1'),
    consumer('orchestrator-task-failed', 'kie.task.failed.v1'),
    consumer('orchestrator-video-sent', 'notify.video.sent.v1'),
    consumer('orchestrator-video-undeliverable', 'notify.video.undeliverable.v1'),
  ],
  'kie-dispatcher': [
    consumer('kie-dispatcher-task-submit', 'kie.task.submit.v1'),
    // A failed job (e.g. expired by the orchestrator) cancels its queued or running task,
    // so no KIE credits are spent on a video nobody will receive.
    consumer('kie-dispatcher-video-failed', 'jobs.video.failed.v1'),
    // The seller cancels the order's videos still queued (never sent to KIE).
    consumer('kie-dispatcher-queue-cancel', 'kie.queue.cancel.v1'),
  ],
  notifier: [
    consumer('notifier-credits-reserved', 'billing.credits.reserved.v1'),
    consumer('notifier-credits-rejected', 'billing.credits.rejected.v1'),
    consumer('notifier-credits-granted', 'billing.credits.granted.v1'),
    // The receipt of a Stars purchase, with the new balance.
    consumer('notifier-credits-purchased', 'billing.credits.purchased.v1'),
    consumer('notifier-generation-started', 'jobs.generation.started.v1'),
    // A slow sendVideo is kept alive by working() heartbeats; a short ack wait lets another
    // replica take over a crashed one's videos in seconds (docs/design.md §2.5).
    consumer('notifier-video-ready', 'jobs.video.ready.v1'),
    consumer('notifier-video-failed', 'jobs.video.failed.v1'),
    consumer('notifier-order-completed', 'jobs.order.completed.v1'),
    consumer('notifier-key-blocked', 'kie.key.blocked.v1'),
    consumer('notifier-model-unavailable', 'kie.model.unavailable.v1'),
    consumer('notifier-credits-low', 'kie.credits.low.v1'),
    consumer('notifier-credits-recovered', 'kie.credits.recovered.v1'),
    consumer('notifier-queue-stalled', 'kie.queue.stalled.v1'),
    consumer('notifier-queue-recovered', 'kie.queue.recovered.v1'),
    // Each admin's language for the alerts.
    consumer('notifier-language-set', 'users.language.set.v1'),
  ],
  // Polling mode: the updates it fetched and stored itself (webhook mode starts no consumer).
  // The ack wait covers a Confirm whose order publish is retried for a few seconds.
  'bot-gateway': [consumer('bot-gateway-update-received', 'telegram.update.received.v1', 10, 60)],
} as const satisfies Record<ServiceName, readonly ConsumerDef[]>;

/** The consumers (durable + subject, as literal types) of one service. */
export type ConsumerOf<N extends ServiceName> = (typeof consumers)[N][number];
/** The subjects one service consumes. */
export type SubjectOf<N extends ServiceName> = ConsumerOf<N>['subject'];
/** The durable consumer names of one service. */
export type DurableOf<N extends ServiceName> = ConsumerOf<N>['durable'];

/** KV buckets and object stores (docs/design.md §2). */
export const buckets = {
  /** bot-gateway: one conversation state per chat. */
  bot_sessions: { kind: 'kv', history: 1, ttlSeconds: 7 * 24 * 3600 },
  /** bot-gateway: update_ids already handled (Telegram redelivers on a slow webhook). */
  bot_updates: { kind: 'kv', history: 1, ttlSeconds: 24 * 3600 },
  /** kie-dispatcher: per-key limits, cool-downs and blocks, shared by every replica. */
  kie_keys: { kind: 'kv', history: 1, ttlSeconds: 0 },
  /**
   * kie-dispatcher: the models offered to sellers (key `offer`: id, label, price,
   * durations, orientations, sound), rewritten whenever availability changes;
   * bot-gateway reads it to build the order. Also each (model, account) availability.
   */
  kie_models: { kind: 'kv', history: 1, ttlSeconds: 0 },
  /**
   * bot-gateway and notifier: Telegram's send limits shared by every process of the bot,
   * one GCRA entry (`tat`) for the whole bot (`global`) and one per chat (`chat.<id>`).
   * An entry older than the TTL is a full bucket, so expiring it loses nothing; an hour
   * outlives any retry_after worth waiting for.
   */
  telegram_budget: { kind: 'kv', history: 1, ttlSeconds: 3600 },
  /** bot-gateway writes the product photo here; orchestrator and kie-dispatcher read it. */
  photos: { kind: 'object', history: 1, ttlSeconds: 3 * 24 * 3600 },
} as const;

export type BucketName = keyof typeof buckets;
