import { describe, expect, it } from 'vitest';
import { subjects } from './catalog';
import { bucketStream, natsPermissions, natsServerConfig, publishes, rpcServers } from './permissions';
import { consumers, type ServiceName } from './topology';

const SERVICES = Object.keys(publishes) as ServiceName[];

describe('natsPermissions', () => {
  it('every event has exactly one publishing service', () => {
    const owners = subjects.map((s) => SERVICES.filter((svc) => (publishes[svc] as readonly string[]).includes(s)));
    expect(owners.every((o) => o.length === 1)).toBe(true);
  });

  it.each(SERVICES)('%s may publish its own events and no other service’s', (service) => {
    const p = natsPermissions(service);
    for (const s of subjects) {
      expect(p.publish.includes(s)).toBe((publishes[service] as readonly string[]).includes(s));
    }
    // No wildcard over the event domains, nor over JetStream's API or acks.
    expect(p.publish.filter((s) => /^(orders|billing|jobs|kie|notify)\.>$|^\$JS\.API\.>$|^\$JS\.ACK\.>$|^>$/.test(s))).toEqual(
      [],
    );
  });

  it.each(SERVICES)('%s in check mode (production) may create or update no stream, consumer or bucket', (service) => {
    const p = natsPermissions(service, { provision: false });
    expect(p.publish.filter((s) => /^\$JS\.API\.(STREAM\.(CREATE|UPDATE)|CONSUMER\.(DURABLE\.CREATE|UPDATE))\./.test(s))).toEqual([]);
    // Durable consumers are only looked up; ephemeral readers of buckets (KV watch, objects) remain.
    expect(p.publish.filter((s) => /^\$JS\.API\.CONSUMER\.CREATE\.(?!KV_|OBJ_)/.test(s))).toEqual([]);
    // What it does at run time stays allowed: its own events, acks, lookups.
    for (const subject of publishes[service]) expect(p.publish).toContain(subject);
  });

  it.each(SERVICES)('%s may manage and ack only its own durable consumers', (service) => {
    const p = natsPermissions(service);
    const all = Object.values(consumers).flat();
    const own = new Set(
      ((consumers as Partial<Record<ServiceName, readonly { durable: string }[]>>)[service] ?? []).map((c) => c.durable),
    );
    for (const c of all) {
      const allowed = p.publish.some((s) => s.startsWith('$JS.ACK.') && s.split('.')[3] === c.durable);
      expect(allowed).toBe(own.has(c.durable));
    }
  });

  it('only the serving service subscribes to a request subject', () => {
    for (const [subject, server] of Object.entries(rpcServers)) {
      for (const svc of SERVICES) expect(natsPermissions(svc).subscribe.includes(subject)).toBe(svc === server);
    }
  });

  it('writes a configuration with one user per service and an admin', () => {
    const conf = natsServerConfig({
      passwords: Object.fromEntries(SERVICES.map((s) => [s, `pw-${s}`])) as Record<ServiceName, string>,
      admin: { user: 'admin', password: 'pw-admin' },
      port: 4222,
    });
    for (const s of SERVICES) expect(conf).toContain(`user: "${s}"`);
    expect(conf).toContain('user: "admin"');
    expect(conf).toContain(`"$KV.bot_sessions.>"`);
    expect(bucketStream('photos')).toBe('OBJ_photos');
  });
});
