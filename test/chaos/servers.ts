import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDatabase } from '@neurocards/platform';
import { postgresBinary } from '@neurocards/platform/testing';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
const asRoot = process.getuid?.() === 0;

/** nats-server from PATH, else where Debian's package puts it (/usr/sbin is not on every user's PATH). */
function natsBin(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin'])
    if (dir && existsSync(path.join(dir, 'nats-server'))) return path.join(dir, 'nats-server');
  throw new Error('nats-server not found on PATH or in /usr/sbin');
}

async function pg(cmd: 'initdb' | 'pg_ctl', args: string[]) {
  const [file, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', postgresBinary(cmd), ...args]]
    : [postgresBinary(cmd), args];
  return run(file, argv, { maxBuffer: 1 << 20 });
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function waitPort(port: number, open: boolean, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs;
  while ((await portOpen(port)) !== open) {
    if (Date.now() > until)
      throw new Error(`${what} on port ${port} did not ${open ? 'open' : 'close'} in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * A private PostgreSQL cluster (its own data directory and port), so `pg_ctl -m immediate`
 * never touches the machine's shared server.
 */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** Crash-stop (`pg_ctl -m immediate stop`), stay down for `downMs`, start again. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(opts: { port: number; dir: string }): Promise<PrivatePostgres> {
  if (await portOpen(opts.port)) throw new Error(`port ${opts.port} is taken: set CHAOS_PG_PORT`);
  rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(opts.dir, { recursive: true });
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(opts.dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = path.join(opts.dir, 'data');
  const log = path.join(opts.dir, 'postgres.log');
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // fsync off: a process crash (what we inject) keeps written data in the OS cache; only a
  // machine crash would lose it. synchronous_commit stays on, so commits survive -m immediate.
  const options = `-p ${opts.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const start = () => pg('pg_ctl', ['-D', data, '-o', options, '-l', log, '-w', '-t', '60', 'start']);
  await start();
  const url = `postgres://postgres@127.0.0.1:${opts.port}/neurocards`;
  await ensureDatabase(url);
  return {
    url,
    port: opts.port,
    async restart(downMs) {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      await sleep(downMs);
      await start();
    },
    async stop() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']).catch(() => undefined);
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}

/** A private NATS JetStream server; a restart keeps its store directory, so streams survive. */
export interface PrivateNats {
  url: string;
  port: number;
  /** Stops the server with `signal`, stays down for `downMs`, starts it on the same store. */
  restart(downMs: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  stop(): Promise<void>;
}

export async function startNats(opts: { port: number; dir: string }): Promise<PrivateNats> {
  if (await portOpen(opts.port)) throw new Error(`port ${opts.port} is taken: set CHAOS_NATS_PORT`);
  rmSync(opts.dir, { recursive: true, force: true });
  mkdirSync(opts.dir, { recursive: true });
  let child: ChildProcess;
  let exited: Promise<void>;
  const start = async () => {
    child = spawn(
      natsBin(),
      [
        '-js',
        '-a',
        '127.0.0.1',
        '-p',
        String(opts.port),
        '-sd',
        opts.dir,
        '-l',
        path.join(opts.dir, 'nats.log'),
      ],
      { stdio: 'ignore' },
    );
    exited = new Promise((r) => child.once('exit', () => r()));
    await waitPort(opts.port, true, 30_000, 'nats-server');
  };
  await start();
  return {
    url: `nats://127.0.0.1:${opts.port}`,
    port: opts.port,
    async restart(downMs, signal) {
      child.kill(signal);
      await exited;
      await sleep(downMs);
      await start();
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}
