import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  bucketAccess,
  consumers,
  createEvent,
  publishes,
  rpcServers,
  streamOf,
  type BucketName,
  type ServiceName,
  type Subject,
} from '@neurocards/contracts';
import {
  jetstream,
  jetstreamManager,
  openKv,
  openObjectStore,
  provisionConsumers,
  provisionStreams,
  requestRpc,
} from '@neurocards/platform';
import { validFixtures } from '@neurocards/contracts/testing';
import { freePort } from '@neurocards/platform/testing';
import { startSecureNats, type SecureNats } from './secure-nats';

/**
 * The generated NATS permissions (issue 7): each service's user can do its own work (provision
 * streams and its consumers, open its buckets, publish its events) and nothing of another's.
 */

const SERVICES = Object.keys(publishes) as ServiceName[];
let nats: SecureNats;
let dir: string;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nats-perm-'));
  nats = await startSecureNats({ port: await freePort(), dir });
});
afterAll(async () => {
  for (const nc of conns) await nc.close().catch(() => undefined);
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function as(service: ServiceName | 'admin') {
  const u = service === 'admin' ? nats.admin : nats.users[service];
  const nc = await connect({ servers: nats.url, user: u.user, pass: u.password });
  conns.push(nc);
  return nc;
}

const event = (subject: Subject) => createEvent({ subject, data: validFixtures[subject] as never, correlationId: 'perm' });
const consumersOf = (s: ServiceName) =>
  ((consumers as Partial<Record<ServiceName, readonly { durable: string; subject: Subject }[]>>)[s] ?? []).map((d) => ({
    ...d,
    maxDeliver: 10,
    ackWaitSeconds: 30,
  }));

describe('generated NATS permissions', () => {
  it('refuses anonymous and wrong-password connections', async () => {
    await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toThrow();
    await expect(
      connect({ servers: nats.url, user: 'billing', pass: 'wrong', maxReconnectAttempts: 0 }),
    ).rejects.toThrow();
  });

  it.each(SERVICES)('%s can provision, open its buckets and publish its own events', async (service) => {
    const nc = await as(service);
    const jsm = await jetstreamManager(nc);
    await provisionStreams(jsm, 1);
    for (const def of consumersOf(service)) await provisionConsumers(jsm, streamOf(def.subject), [def]);
    for (const [bucket, mode] of Object.entries(bucketAccess[service]) as [BucketName, string][]) {
      if (bucket === 'photos') {
        const store = await openObjectStore(nc, bucket, 1);
        if (mode === 'rw') await store.putBlob({ name: `perm-${service}` }, new Uint8Array([1, 2, 3]));
        await store.get(`perm-${service}`);
      } else {
        const kv = await openKv(nc, bucket, 1);
        if (mode === 'rw') await kv.put(`perm.${service}`, 'x');
        await kv.get(`perm.${service}`);
        for await (const _ of await kv.keys()) break;
      }
    }
    const js = jetstream(nc);
    for (const subject of publishes[service]) {
      const ack = await js.publish(subject, JSON.stringify(event(subject)));
      expect(ack.stream).toBe(streamOf(subject));
    }
  });

  it.each(SERVICES)('%s cannot publish another service’s events', async (service) => {
    const nc = await as(service);
    const js = jetstream(nc, { timeout: 2000 });
    const others = SERVICES.filter((s) => s !== service).flatMap((s) => publishes[s] as readonly Subject[]);
    for (const subject of others) {
      await expect(js.publish(subject, JSON.stringify(event(subject)))).rejects.toThrow();
    }
  });

  it.each(SERVICES)('%s cannot answer, or take over, another service’s requests and consumers', async (service) => {
    const nc = await as(service);
    const jsm = await jetstreamManager(nc);
    for (const other of SERVICES.filter((s) => s !== service)) {
      for (const def of consumersOf(other)) {
        await expect(provisionConsumers(jsm, streamOf(def.subject), [def])).rejects.toThrow();
      }
    }
    // Streams are never deleted or purged by a service.
    await expect(jsm.streams.delete('ORDERS')).rejects.toThrow();
    await expect(jsm.streams.purge('JOBS')).rejects.toThrow();
    // Another service's request subject: the subscription is refused by the server.
    const foreign = (Object.entries(rpcServers) as [string, ServiceName][]).find(([, s]) => s !== service)![0];
    const sub = nc.subscribe(foreign, { callback: () => undefined });
    await nc.flush();
    await expect(sub.closed).resolves.toBeDefined();
  });

  it('lets a service call only the requests it needs', async () => {
    const billing = await as('billing');
    billing.subscribe('billing.balance.get', {
      callback: (_err, m) => void m.respond(JSON.stringify({ userId: 1, balance: 5, held: 0 })),
    });
    await billing.flush();
    const gw = await as('bot-gateway');
    await expect(requestRpc(gw, 'billing.balance.get', { userId: 1 })).resolves.toMatchObject({ balance: 5 });
    // The notifier asks billing only for an order's settlement (the summary), not balances.
    const notifier = await as('notifier');
    await expect(requestRpc(notifier, 'billing.balance.get', { userId: 1 }, 1000)).rejects.toThrow();
    const orchestrator = await as('orchestrator');
    await expect(requestRpc(orchestrator, 'billing.balance.get', { userId: 1 }, 1000)).rejects.toThrow();
    await expect(requestRpc(notifier, 'kie.keys.stats', {}, 1000)).rejects.toThrow();
  });
});
