import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { answers, spawnServer } from './infra';
import { SERVICES, natsServerConfig, type NatsUser, type ServiceName } from '@neurocards/contracts';

export interface SecureNats {
  /** `nats://127.0.0.1:<port>` (no credentials in it). */
  url: string;
  port: number;
  /** Every service's user, for its `NATS_USER` / `NATS_PASSWORD`. */
  users: Record<ServiceName, NatsUser>;
  /** A user with every permission (provisioning, tests, tools). */
  admin: NatsUser;
  /** The environment one service runs with: its own NATS user. */
  envOf(service: ServiceName): { NATS_USER: string; NATS_PASSWORD: string };
  /** Where the server writes its log (permission violations are logged there). */
  logFile: string;
  stop(): Promise<void>;
}

/**
 * A private nats-server with JetStream whose only users are the ones the contracts' generated
 * configuration defines: one per service, limited to its own subjects, and an admin. The
 * sandbox and the e2e suite run on it, so a permission mistake fails them.
 */
export async function startSecureNats(o: {
  port: number;
  dir: string;
  bin?: string;
  /** False: service users may not create or update streams, consumers or buckets (NATS_PROVISION=check). */
  provision?: boolean;
}): Promise<SecureNats> {
  const bin = o.bin ?? 'nats-server';
  if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) throw new Error(`${bin} not found`);
  mkdirSync(o.dir, { recursive: true });
  const pw = () => randomBytes(18).toString('base64url');
  const users = Object.fromEntries(SERVICES.map((s) => [s, { user: s, password: pw() }])) as Record<
    ServiceName,
    NatsUser
  >;
  const admin = { user: 'admin', password: pw() };
  const conf = path.join(o.dir, 'nats.conf');
  const logFile = path.join(o.dir, 'nats.log');
  writeFileSync(
    conf,
    natsServerConfig({
      host: '127.0.0.1',
      port: o.port,
      // JetStream keeps its data in <dir>/jetstream, where the sandbox always kept it.
      storeDir: o.dir,
      admin,
      passwords: Object.fromEntries(SERVICES.map((s) => [s, users[s].password])) as Record<ServiceName, string>,
      provision: o.provision ?? true,
    }),
    { mode: 0o600 },
  );
  const child = await spawnServer(bin, ['-c', conf, '-l', logFile], path.join(o.dir, 'nats.pid'));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const until = Date.now() + 30_000;
  while (!(await answers(o.port))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode}); see ${logFile}`);
    if (Date.now() > until) throw new Error(`nats-server did not start on ${o.port}; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `nats://127.0.0.1:${o.port}`,
    port: o.port,
    users,
    admin,
    envOf: (s) => ({ NATS_USER: users[s].user, NATS_PASSWORD: users[s].password }),
    logFile,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
