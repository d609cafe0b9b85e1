import { nanos } from './nats';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { buckets, bucketStream, consumers, SERVICES, streamOf, streams } from '@neurocards/contracts';
import { createLogger } from './logger';
import { missingFor, provisionAll, setProvisionMode, waitProvisioned } from './provision';
import { createRuntime } from './runtime';
import { eventually, freePort } from './testing';

/**
 * The deploy-time provisioning (provision-cli.ts) and the services' `NATS_PROVISION=check`
 * mode, on a private nats-server: the test deletes and recreates the contract topology,
 * which other test files use on the shared server.
 */
const PLATFORM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let server: ChildProcess;
let dir: string;
let url: string;
let nc: NatsConnection;
let jsm: JetStreamManager;

async function reset() {
  const names = [...Object.keys(streams), ...Object.keys(buckets).map((b) => bucketStream(b as keyof typeof buckets))];
  for (const n of names) await jsm.streams.delete(n).catch(() => undefined);
}

function runCli(): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/provision-cli.ts'], {
    cwd: PLATFORM,
    env: { PATH: process.env.PATH, NATS_URL: url, NATS_REPLICAS: '1', LOG_LEVEL: 'info' },
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

async function topologySnapshot() {
  const snap: Record<string, unknown> = {};
  for (const s of Object.keys(streams)) {
    const i = await jsm.streams.info(s);
    snap[s] = { config: i.config, created: i.created };
  }
  for (const defs of Object.values(consumers))
    for (const d of defs) {
      const i = await jsm.consumers.info(streamOf(d.subject), d.durable);
      snap[d.durable] = { config: i.config, created: i.created };
    }
  for (const b of Object.keys(buckets)) {
    const i = await jsm.streams.info(bucketStream(b as keyof typeof buckets));
    snap[b] = { config: i.config, created: i.created };
  }
  return snap;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'nats-provision-'));
  const port = await freePort();
  url = `nats://127.0.0.1:${port}`;
  server = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  nc = await eventually(() => connect({ servers: url }), 15_000, 100);
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  setProvisionMode('apply');
  await nc?.drain();
  server?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('provision-cli', () => {
  it('creates the whole catalog, fixes a bucket that differs, and a second run changes nothing', async () => {
    await reset();
    // A bucket created earlier with another history and no TTL (say, by an older version).
    await new Kvm(nc).create('bot_sessions', { history: 5 });

    const first = await runCli();
    expect(first.code, first.out).toBe(0);
    for (const s of SERVICES) expect(await missingFor(jsm, s)).toEqual([]);
    const sessions = (await jsm.streams.info('KV_bot_sessions')).config;
    expect(sessions.max_msgs_per_subject).toBe(buckets.bot_sessions.history);
    expect(sessions.max_age).toBe(buckets.bot_sessions.ttlSeconds * 1e9);

    const before = await topologySnapshot();
    const second = await runCli();
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('JetStream topology provisioned');
    expect(await topologySnapshot()).toEqual(before);
    // Nothing was recreated: the same streams hold the same messages they held.
    expect((await jsm.streams.info('ORDERS')).created).toEqual((before.ORDERS as { created: string }).created);
  });
});

describe('NATS_PROVISION=check', () => {
  it('a missing consumer is named and keeps the service unready until the Job provisions it', async () => {
    await reset();
    await provisionAll(nc, jsm, 1);
    await jsm.consumers.delete('KIE', 'notifier-key-blocked');
    expect(await missingFor(jsm, 'notifier')).toEqual(['consumer KIE/notifier-key-blocked']);
    // Another service's needs are all there.
    expect(await missingFor(jsm, 'billing')).toEqual([]);

    // The log names what is missing.
    const lines: string[] = [];
    const log = createLogger('notifier', 'error', { write: (l: string) => void lines.push(l) });
    const waiting = waitProvisioned(jsm, 'notifier', log, { initialDelayMs: 50, maxDelayMs: 50 });
    await eventually(() => lines.length > 0, 5000);
    expect(lines[0]).toContain('consumer KIE/notifier-key-blocked');
    expect(JSON.parse(lines[0]!).missing).toEqual(['consumer KIE/notifier-key-blocked']);

    // A whole runtime in check mode: alive, not ready, and it creates nothing itself.
    const port = await freePort();
    const starting = createRuntime({
      service: 'notifier',
      config: { NATS_URL: url, NATS_REPLICAS: 1, LOG_LEVEL: 'silent', NATS_PROVISION: 'check' },
      httpPort: port,
      handleSignals: false,
    });
    let started = false;
    void starting.then(() => (started = true));
    const probe = async (p: string) => (await fetch(`http://127.0.0.1:${port}${p}`)).status;
    await eventually(async () => (await probe('/healthz')) === 200, 10_000);
    expect(await probe('/readyz')).toBe(503);
    await new Promise((r) => setTimeout(r, 1500));
    expect(started).toBe(false);
    await expect(jsm.consumers.info('KIE', 'notifier-key-blocked')).rejects.toThrow();

    // The Job runs: the waiting service goes on and becomes ready.
    await provisionAll(nc, jsm, 1);
    await waiting;
    const rt = await starting;
    await rt.start();
    expect(await probe('/readyz')).toBe(200);
    await rt.shutdown.run('test');
  });

  it('a consumer left from an older release (another ack wait) counts as not provisioned yet', async () => {
    await reset();
    await provisionAll(nc, jsm, 1);
    await jsm.consumers.update('KIE', 'notifier-key-blocked', { ack_wait: nanos(5000) });
    expect(await missingFor(jsm, 'notifier')).toEqual([
      'consumer KIE/notifier-key-blocked as configured (filter kie.key.blocked.v1, ack wait 5 s; expected kie.key.blocked.v1, 30 s)',
    ]);
    await provisionAll(nc, jsm, 1);
    expect(await missingFor(jsm, 'notifier')).toEqual([]);
  });
});
