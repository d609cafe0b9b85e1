import type { Subject } from './catalog';
import type { RpcSubject } from './rpc';
import { buckets, consumers, deadSubject, streams, streamOf, type BucketName, type ServiceName } from './topology';

/**
 * Who may do what on NATS: the source of the per-service users in the generated
 * nats-server configuration (`pnpm nats-config`). A service that publishes or subscribes
 * outside its list gets a permissions violation, so a wiring mistake fails a test.
 */

/** The events each service publishes (docs/design.md §2.1, "produces"). */
export const publishes = {
  // Polling stores each fetched update in UPDATES before confirming it to Telegram.
  'bot-gateway': ['orders.order.placed.v1', 'telegram.update.received.v1', 'kie.queue.cancel.v1', 'users.language.set.v1', 'payments.star.paid.v1'],
  billing: [
    'billing.credits.reserved.v1',
    'billing.credits.rejected.v1',
    'billing.credits.captured.v1',
    'billing.credits.refunded.v1',
    'billing.credits.granted.v1',
    'billing.credits.purchased.v1',
  ],
  orchestrator: [
    'jobs.prompt.requested.v1',
    'jobs.prompt.ready.v1',
    'jobs.generation.started.v1',
    'jobs.video.ready.v1',
    'jobs.video.delivered.v1',
    'jobs.video.failed.v1',
    'jobs.order.completed.v1',
    'kie.task.submit.v1',
  ],
  'kie-dispatcher': [
    'kie.task.submitted.v1',
    'kie.task.succeeded.v1',
    'kie.task.failed.v1',
    'kie.key.blocked.v1',
    'kie.model.unavailable.v1',
    'kie.credits.low.v1',
    'kie.credits.recovered.v1',
    'kie.queue.stalled.v1',
    'kie.queue.recovered.v1',
  ],
  notifier: ['notify.video.sent.v1', 'notify.video.undeliverable.v1'],
} as const satisfies Record<ServiceName, readonly Subject[]>;

/** The service that answers each request/reply subject. */
export const rpcServers = {
  'billing.balance.get': 'billing',
  'billing.credits.grant': 'billing',
  'billing.ledger.list': 'billing',
  'billing.order.get': 'billing',
  'billing.purchase.get': 'billing',
  'billing.purchase.refund': 'billing',
  'orchestrator.stats.get': 'orchestrator',
  'orchestrator.orders.list': 'orchestrator',
  'orchestrator.video.get': 'orchestrator',
  'kie.keys.stats': 'kie-dispatcher',
  'kie.keys.unblock': 'kie-dispatcher',
  'kie.models.set': 'kie-dispatcher',
  'kie.queue.estimate': 'kie-dispatcher',
} as const satisfies Record<RpcSubject, ServiceName>;

/** The request/reply subjects each service calls. */
export const rpcCalls = {
  'bot-gateway': (Object.keys(rpcServers) as RpcSubject[]).filter((s) => s !== 'billing.order.get'),
  billing: [],
  orchestrator: [],
  'kie-dispatcher': [],
  // The order summary waits for the order's settlement and shows the balance after it; the
  // status message shows the order's place in the queue.
  notifier: ['billing.order.get', 'kie.queue.estimate'],
} as const satisfies Record<ServiceName, readonly RpcSubject[]>;

/** The KV buckets and object stores each service opens: `rw` writes, `r` only reads. */
export const bucketAccess = {
  'bot-gateway': { bot_sessions: 'rw', bot_updates: 'rw', kie_models: 'r', photos: 'rw', telegram_budget: 'rw' },
  billing: {},
  orchestrator: { photos: 'r' },
  'kie-dispatcher': { kie_keys: 'rw', kie_models: 'rw', photos: 'r' },
  notifier: { telegram_budget: 'rw' },
} as const satisfies Record<ServiceName, Partial<Record<BucketName, 'r' | 'rw'>>>;

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** Lets an RPC server answer on the requester's reply subject (and nothing else there). */
  allowResponses: boolean;
}

/** The JetStream stream that backs a bucket. */
export function bucketStream(name: BucketName): string {
  return buckets[name].kind === 'kv' ? `KV_${name}` : `OBJ_${name}`;
}

/**
 * The publish/subscribe allow lists of one service. JetStream is reached through subjects:
 * `$JS.API.…` requests (stream and consumer management, pull requests), `$JS.ACK.…` acks,
 * `$KV.<bucket>.>` / `$O.<bucket>.>` writes; replies come back on `_INBOX.>`.
 */
export function natsPermissions(service: ServiceName, o: { provision?: boolean } = {}): NatsPermissions {
  // `provision: false` is production's NATS_PROVISION=check: a deploy-time Job (the admin user)
  // creates streams, durable consumers and buckets, and a service may only look them up, so
  // no service can change another's stream or consumer.
  const provision = o.provision ?? true;
  const manage = provision ? ['CREATE', 'UPDATE'] : [];
  const pub = new Set<string>(['$JS.API.INFO']);
  // With `provision`, every service provisions the contract streams at start (idempotent
  // create-or-update); it may create, update and read them, never delete or purge them.
  for (const s of Object.keys(streams)) {
    for (const op of ['INFO', ...manage]) pub.add(`$JS.API.STREAM.${op}.${s}`);
  }
  for (const subject of publishes[service]) pub.add(subject);
  for (const def of (consumers as Partial<Record<ServiceName, readonly { durable: string; subject: Subject }[]>>)[service] ??
    []) {
    const stream = streamOf(def.subject);
    const d = def.durable;
    for (const op of [...(provision ? ['CREATE', 'UPDATE', 'DURABLE.CREATE'] : []), 'INFO', 'MSG.NEXT']) {
      pub.add(`$JS.API.CONSUMER.${op}.${stream}.${d}`);
    }
    // Newer servers and clients put the filter subject in the create subject.
    if (provision) pub.add(`$JS.API.CONSUMER.CREATE.${stream}.${d}.>`);
    pub.add(`$JS.ACK.${stream}.${d}.>`);
    // Parking what cannot be processed.
    pub.add(deadSubject(d, '>'));
  }
  for (const [name, mode] of Object.entries(bucketAccess[service]) as [BucketName, 'r' | 'rw'][]) {
    const stream = bucketStream(name);
    // Opening a bucket creates it when it is missing (whichever service starts first); in
    // check mode it is only opened.
    for (const op of ['INFO', ...manage, 'MSG.GET']) pub.add(`$JS.API.STREAM.${op}.${stream}`);
    pub.add(`$JS.API.DIRECT.GET.${stream}`);
    pub.add(`$JS.API.DIRECT.GET.${stream}.>`);
    // Ordered consumers for reading objects, listing keys and watching.
    for (const op of ['CREATE', 'DELETE', 'INFO', 'MSG.NEXT']) {
      pub.add(`$JS.API.CONSUMER.${op}.${stream}`);
      pub.add(`$JS.API.CONSUMER.${op}.${stream}.>`);
    }
    if (mode === 'rw') {
      pub.add(buckets[name].kind === 'kv' ? `$KV.${name}.>` : `$O.${name}.>`);
      // An object store replaces an object's chunks by purging its chunk subject.
      if (buckets[name].kind === 'object') pub.add(`$JS.API.STREAM.PURGE.${stream}`);
    }
  }
  for (const subject of rpcCalls[service]) pub.add(subject);

  const sub = new Set<string>(['_INBOX.>']);
  const served = (Object.entries(rpcServers) as [RpcSubject, ServiceName][]).filter(([, s]) => s === service);
  for (const [subject] of served) sub.add(subject);
  return { publish: [...pub].sort(), subscribe: [...sub].sort(), allowResponses: served.length > 0 };
}

export interface NatsUser {
  user: string;
  password: string;
}

export interface NatsServerConfigOptions {
  /** One user per service, named after it unless given otherwise. */
  passwords: Record<ServiceName, string>;
  /** A user with every permission, for provisioning, operators' tools and tests. */
  admin: NatsUser;
  host?: string;
  port?: number;
  /** JetStream storage; omitted when the including configuration sets it. */
  storeDir?: string;
  /** False: the services only look streams, consumers and buckets up (NATS_PROVISION=check). */
  provision?: boolean;
}

const quote = (s: string) => JSON.stringify(s);
const list = (xs: string[]) => `[${xs.map(quote).join(', ')}]`;

/** A nats-server configuration with one user per service, limited to its own subjects. */
export function natsServerConfig(o: NatsServerConfigOptions): string {
  const users = (Object.keys(o.passwords) as ServiceName[]).map((service) => {
    const p = natsPermissions(service, { provision: o.provision ?? true });
    return [
      `    {`,
      `      user: ${quote(service)}`,
      `      password: ${quote(o.passwords[service])}`,
      `      permissions: {`,
      `        publish: { allow: ${list(p.publish)} }`,
      `        subscribe: { allow: ${list(p.subscribe)} }`,
      ...(p.allowResponses ? [`        allow_responses: true`] : []),
      `      }`,
      `    }`,
    ].join('\n');
  });
  const lines = [
    '# Generated from @neurocards/contracts (permissions.ts) by `pnpm nats-config`. Do not edit.',
    ...(o.host ? [`host: ${quote(o.host)}`] : []),
    ...(o.port !== undefined ? [`port: ${o.port}`] : []),
    ...(o.storeDir ? [`jetstream { store_dir: ${quote(o.storeDir)} }`] : []),
    'authorization {',
    '  users = [',
    `    { user: ${quote(o.admin.user)}, password: ${quote(o.admin.password)} }`,
    ...users,
    '  ]',
    '}',
    '',
  ];
  return lines.join('\n');
}
