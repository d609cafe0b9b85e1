import { JetStreamApiError, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  bucketAccess,
  buckets,
  bucketStream,
  consumers,
  publishes,
  streamOf,
  streams,
  type BucketName,
  type ConsumerDef,
  type ServiceName,
  type StreamName,
} from '@neurocards/contracts';
import type { Logger } from './logger';
import { nanos, provisionConsumers, provisionStreams } from './nats';

/**
 * Who creates the JetStream topology (streams, durable consumers, KV buckets, object stores):
 * - `apply` (default, local and tests): each service creates or updates what it uses at start;
 * - `check` (production): a deploy-time Job (`provision-cli`) created everything with the
 *   cluster's replicas; a service only checks that what it needs exists, and stays unready,
 *   naming what is missing, until it does.
 */
export type ProvisionMode = 'apply' | 'check';
export const PROVISION_MODES = ['apply', 'check'] as const;

let mode: ProvisionMode = 'apply';

/** Set once by the runtime from `NATS_PROVISION`; `openKv`/`openObjectStore` follow it. */
export function setProvisionMode(m: ProvisionMode): void {
  mode = m;
}

export function provisionMode(): ProvisionMode {
  return mode;
}

type AllConsumers = Record<ServiceName, readonly ConsumerDef[]>;

/** What one service needs on NATS: the streams it consumes and publishes to (and DEAD), its consumers, its buckets. */
export function needsOf(service: ServiceName): { streams: StreamName[]; consumers: ConsumerDef[]; buckets: BucketName[] } {
  const defs = (consumers as AllConsumers)[service];
  const names = new Set<StreamName>(['DEAD']);
  for (const d of defs) names.add(streamOf(d.subject));
  for (const s of publishes[service]) names.add(streamOf(s));
  return {
    streams: [...names].sort(),
    consumers: [...defs],
    buckets: Object.keys(bucketAccess[service]) as BucketName[],
  };
}

/** A JetStream API answer that the stream (10059) or the consumer (10014) does not exist. */
export function isJetStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014);
}

/**
 * What `service` needs and does not find, one readable item each:
 * `stream ORDERS`, `consumer ORDERS/billing-order-placed`, `kv bucket kie_keys (stream KV_kie_keys)`.
 */
export async function missingFor(jsm: JetStreamManager, service: ServiceName): Promise<string[]> {
  const need = needsOf(service);
  const missing: string[] = [];
  const exists = async (probe: () => Promise<unknown>) => {
    try {
      await probe();
      return true;
    } catch (err) {
      if (isJetStreamNotFound(err)) return false;
      throw err;
    }
  };
  for (const s of need.streams) if (!(await exists(() => jsm.streams.info(s)))) missing.push(`stream ${s}`);
  for (const d of need.consumers) {
    const stream = streamOf(d.subject);
    let info: Awaited<ReturnType<JetStreamManager['consumers']['info']>> | null = null;
    if (!(await exists(async () => (info = await jsm.consumers.info(stream, d.durable))))) {
      missing.push(`consumer ${stream}/${d.durable}`);
      continue;
    }
    // A consumer from an older release (the Job has not run yet) is not what this one needs:
    // wait for it rather than consume with another filter or ack wait.
    const cfg = (info as unknown as { config: { filter_subject?: string; ack_wait?: number } }).config;
    const ackWait = nanos(d.ackWaitSeconds * 1000);
    if (cfg.filter_subject !== d.subject || cfg.ack_wait !== ackWait)
      missing.push(
        `consumer ${stream}/${d.durable} as configured (filter ${cfg.filter_subject ?? '-'}, ack wait ${Math.round((cfg.ack_wait ?? 0) / 1e9)} s; ` +
          `expected ${d.subject}, ${d.ackWaitSeconds} s)`,
      );
  }
  for (const b of need.buckets) {
    const stream = bucketStream(b);
    const kind = buckets[b].kind === 'kv' ? 'kv bucket' : 'object store';
    if (!(await exists(() => jsm.streams.info(stream)))) missing.push(`${kind} ${b} (stream ${stream})`);
  }
  return missing;
}

/** Creates a bucket, or brings an existing one's replicas, history and TTL to the catalog's. */
async function provisionBucket(nc: NatsConnection, jsm: JetStreamManager, name: BucketName, replicas: number) {
  const def = buckets[name];
  const stream = bucketStream(name);
  const info = await jsm.streams.info(stream).catch((err: unknown) => {
    if (isJetStreamNotFound(err)) return null;
    throw err;
  });
  if (!info) {
    if (def.kind === 'kv')
      await new Kvm(nc).create(name, {
        history: def.history,
        replicas,
        ...(def.ttlSeconds > 0 ? { ttl: def.ttlSeconds * 1000 } : {}),
      });
    else
      await new Objm(nc).create(name, {
        replicas,
        ...(def.ttlSeconds > 0 ? { ttl: nanos(def.ttlSeconds * 1000) } : {}),
      });
    return 'created' as const;
  }
  const want: Partial<StreamConfig> = {
    num_replicas: replicas,
    max_age: def.ttlSeconds > 0 ? nanos(def.ttlSeconds * 1000) : 0,
    ...(def.kind === 'kv' ? { max_msgs_per_subject: def.history } : {}),
  };
  const cfg = info.config as unknown as Record<string, unknown>;
  const differs = Object.entries(want).some(([k, v]) => cfg[k] !== v);
  if (!differs) return 'unchanged' as const;
  await jsm.streams.update(stream, { ...info.config, ...want });
  return 'updated' as const;
}

export interface ProvisionReport {
  streams: string[];
  consumers: string[];
  buckets: string[];
}

/**
 * Creates or updates every stream, durable consumer, KV bucket and object store of the
 * contracts catalog with `replicas`. Idempotent: running it twice changes nothing the
 * second time. The deploy-time Job (`node packages/platform/dist/provision-cli.js`) runs it
 * as the NATS admin; services in `NATS_PROVISION=check` mode rely on it.
 */
export async function provisionAll(nc: NatsConnection, jsm: JetStreamManager, replicas: number): Promise<ProvisionReport> {
  const names = Object.keys(streams) as StreamName[];
  await provisionStreams(jsm, replicas, names);
  const report: ProvisionReport = { streams: names, consumers: [], buckets: [] };
  for (const defs of Object.values(consumers as AllConsumers))
    for (const d of defs) {
      const stream = streamOf(d.subject);
      await provisionConsumers(jsm, stream, [d]);
      report.consumers.push(`${stream}/${d.durable}`);
    }
  for (const b of Object.keys(buckets) as BucketName[])
    report.buckets.push(`${b} ${await provisionBucket(nc, jsm, b, replicas)}`);
  return report;
}

/**
 * `NATS_PROVISION=check` at start: waits until everything `service` needs exists, logging
 * at error level what is missing on every look (the service's readiness stays off meanwhile,
 * so a Deployment without its provisioning Job never takes traffic). Looks again after 1 s,
 * doubling up to 30 s.
 */
export async function waitProvisioned(
  jsm: JetStreamManager,
  service: ServiceName,
  log: Logger,
  opts: { initialDelayMs?: number; maxDelayMs?: number } = {},
): Promise<void> {
  let delay = opts.initialDelayMs ?? 1000;
  for (;;) {
    const missing = await missingFor(jsm, service);
    if (missing.length === 0) return;
    log.error(
      { missing, retryInMs: delay },
      `not ready: NATS_PROVISION=check and NATS lacks ${missing.join(', ')}; ` +
        'run the provisioning Job (node packages/platform/dist/provision-cli.js) with the admin user',
    );
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(opts.maxDelayMs ?? 30_000, delay * 2);
  }
}
