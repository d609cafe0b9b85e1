import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { buckets, streams, type BucketName, type ConsumerDef, type StreamName } from '@neurocards/contracts';
import type { Logger } from './logger';
import { provisionMode } from './provision';

export type { NatsConnection, JetStreamClient, JetStreamManager, KV, ObjectStore };

export interface NatsAuth {
  user?: string | undefined;
  pass?: string | undefined;
}

export async function connectNats(url: string, name: string, log: Logger, auth: NatsAuth = {}): Promise<NatsConnection> {
  // A NATS URL may carry credentials (nats://user:pass@host): never log them.
  log.info({ servers: url.replace(/\/\/[^@/]+@/g, '//<credentials>@') }, 'connecting to NATS (waits until it answers)');
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()),
    name,
    ...(auth.user ? { user: auth.user, pass: auth.pass ?? '' } : {}),
    // Keep reconnecting forever, and keep trying the first connect too: NATS restarting or
    // starting after us must not kill the service (its readiness stays off meanwhile).
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    reconnectTimeWait: 1000,
  });
  log.info({ server: nc.getServer() }, 'connected to NATS');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect' || s.type === 'error') {
        log.warn({ status: s.type }, 'NATS connection status');
      }
    }
  })();
  return nc;
}

/** How long the server remembers a Nats-Msg-Id to drop a repeated publish. */
export const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
/** Stream retention: long enough to replay a day of traffic after an incident. */
const STREAM_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/** Parked messages are kept longer, for an operator to inspect and replay. */
const DEAD_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/** Creates or updates every stream of the topology. Idempotent; every service may call it. */
export async function provisionStreams(jsm: JetStreamManager, replicas: number, names?: StreamName[]) {
  for (const name of names ?? (Object.keys(streams) as StreamName[])) {
    const cfg = {
      name,
      subjects: [...streams[name].subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: replicas,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: nanos(name === 'DEAD' ? DEAD_MAX_AGE_MS : STREAM_MAX_AGE_MS),
    };
    await addOrUpdateStream(jsm, cfg);
  }
}

export async function addOrUpdateStream(
  jsm: JetStreamManager,
  cfg: Parameters<JetStreamManager['streams']['add']>[0] & { name: string },
) {
  try {
    await jsm.streams.add(cfg);
  } catch (err) {
    // 10058: stream name already in use with a different configuration.
    if (!isApiError(err, 10058)) throw err;
    await jsm.streams.update(cfg.name, cfg);
  }
}

/** Creates or updates durable pull consumers. */
export async function provisionConsumers(
  jsm: JetStreamManager,
  stream: string,
  defs: readonly ConsumerDef[],
  /** Tests start at new messages so a shared stream's history does not leak in. */
  opts: { onlyNew?: boolean } = {},
) {
  for (const d of defs) {
    const cfg = {
      durable_name: d.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: opts.onlyNew ? DeliverPolicy.New : DeliverPolicy.All,
      filter_subject: d.subject,
      // Unlimited on the server: the runner parks what must be parked (see startConsumer);
      // a server-side limit would silently drop a message that failed during an outage.
      max_deliver: -1,
      ack_wait: nanos(d.ackWaitSeconds * 1000),
      // Bounds how many un-acked messages one consumer may hold across all replicas.
      max_ack_pending: 1000,
    };
    try {
      await jsm.consumers.add(stream, cfg);
    } catch (err) {
      // 10148: consumer already exists with a different configuration.
      if (!isApiError(err, 10148) && !isApiError(err, 10013)) throw err;
      const { durable_name: _d, deliver_policy: _p, ...updatable } = cfg;
      await jsm.consumers.update(stream, d.durable, updatable);
    }
  }
}

export async function openKv(nc: NatsConnection, bucket: BucketName, replicas: number): Promise<KV> {
  const def = buckets[bucket];
  if (def.kind !== 'kv') throw new Error(`${bucket} is not a KV bucket`);
  // NATS_PROVISION=check: the provisioning Job created it; open only (fails if it is missing).
  if (provisionMode() === 'check') return new Kvm(nc).open(bucket);
  return new Kvm(nc).create(bucket, {
    history: def.history,
    replicas,
    ...(def.ttlSeconds > 0 ? { ttl: def.ttlSeconds * 1000 } : {}),
  });
}

export async function openObjectStore(nc: NatsConnection, bucket: BucketName, replicas: number): Promise<ObjectStore> {
  const def = buckets[bucket];
  if (def.kind !== 'object') throw new Error(`${bucket} is not an object store`);
  if (provisionMode() === 'check') return new Objm(nc).open(bucket);
  return new Objm(nc).create(bucket, {
    replicas,
    storage: StorageType.File,
    ...(def.ttlSeconds > 0 ? { ttl: nanos(def.ttlSeconds * 1000) } : {}),
  });
}

export { jetstream, jetstreamManager, nanos };
