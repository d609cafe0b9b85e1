/**
 * Global setup of the browser suite: the real sandbox (`node --import tsx sandbox/src/run.ts`)
 * as a child process in its own process group, on free ports, with a fresh database
 * (`nc_browser`) and a fresh state directory in /tmp, its output in a log file. The tests get
 * the chat page's address through `inject('sandboxUrl')`; the teardown stops the whole group
 * (and a process exit does too), whatever the tests did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PORTS } from '@neurocards/contracts';
import { dropDatabase } from '@neurocards/platform';
import { freePort } from '@neurocards/platform/testing';
import { livePid } from '@neurocards/sandbox';
import type { TestProject } from 'vitest/node';
import { LOG_FILE, REPO_ROOT, SCREENSHOT_DIR } from './paths';

declare module 'vitest' {
  export interface ProvidedContext {
    sandboxUrl: string;
    sandboxLog: string;
  }
}

const DB = 'nc_browser';
const READY_TIMEOUT_MS = 240_000;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** An offset that puts every service's port (8080–8084 + offset) on a free port. */
async function freeServiceOffset(): Promise<number> {
  const base = Object.values(DEFAULT_PORTS) as number[];
  for (let i = 0; i < 50; i++) {
    // Below Linux's ephemeral range (32768+), where an outgoing connection could take a port
    // between this check and the service's listen.
    const offset = 10_000 + Math.floor(Math.random() * 14_000);
    const free = await Promise.all(base.map((p) => portFree(p + offset)));
    if (free.every(Boolean)) return offset;
  }
  throw new Error('no free range for the services’ ports');
}

/** A fresh database on the machine's PostgreSQL; without one the sandbox's embedded one starts empty in the fresh state dir. */
async function dropBrowserDatabase(): Promise<void> {
  await dropDatabase(`postgres://postgres@127.0.0.1:5432/${DB}`).catch((err: { code?: string }) => {
    if (err.code !== 'ECONNREFUSED') throw err;
  });
}

let child: ChildProcess | undefined;
let stateDir: string | undefined;

function killGroup(signal: NodeJS.Signals): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** A nats-server the sandbox started in its own process group, by the pid it recorded. */
function killRecordedNats(): void {
  if (stateDir === undefined) return;
  const pid = livePid(path.join(stateDir, 'nats', 'nats.pid'), 'nats-server');
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
}

/** SIGTERM lets the sandbox stop its services, NATS and PostgreSQL; what is left gets SIGKILL. */
async function stopSandbox(): Promise<void> {
  if (child === undefined) return;
  const exited = new Promise<void>((resolve) => {
    if (child!.exitCode !== null || child!.signalCode !== null) resolve();
    else child!.once('exit', () => resolve());
  });
  killGroup('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
  killGroup('SIGKILL');
  killRecordedNats();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await dropBrowserDatabase();
  stateDir = mkdtempSync(path.join(os.tmpdir(), 'nc-browser-'));
  mkdirSync(path.dirname(LOG_FILE), { recursive: true });
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const telegramPort = await freePort();
  const env = {
    ...process.env,
    SANDBOX_NATS_PORT: String(await freePort()),
    SANDBOX_TELEGRAM_PORT: String(telegramPort),
    SANDBOX_KIE_PORT: String(await freePort()),
    SANDBOX_OPENAI_PORT: String(await freePort()),
    SANDBOX_SERVICE_PORT_OFFSET: String(await freeServiceOffset()),
    SANDBOX_DB: DB,
    SANDBOX_STATE_DIR: stateDir,
    SANDBOX_KIE_LATENCY_MS: '3000',
    // Without a PostgreSQL on 5432 the sandbox embeds one: on a port of its own, not a running sandbox's.
    SANDBOX_PG_PORT: String(await freePort()),
    // What the tests expect of a fresh sandbox, whatever the developer's shell exports.
    SANDBOX_DEMO_CREDITS: '20',
    WELCOME_CREDITS: '3',
    LOG_FORMAT: 'pretty',
  };
  const log = createWriteStream(LOG_FILE);
  child = spawn(process.execPath, ['--import', 'tsx', 'sandbox/src/run.ts'], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.once('exit', () => {
    killGroup('SIGKILL');
    killRecordedNats();
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });

  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => fail(new Error(`no "[sandbox] ready" within ${READY_TIMEOUT_MS / 1000} s`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      seen = (seen + chunk.toString()).slice(-10_000);
      if (/^\[sandbox\] ready\b/m.test(seen)) {
        clearTimeout(timer);
        child!.stdout!.off('data', onData);
        resolve();
      }
    };
    const fail = (err: Error): void => {
      clearTimeout(timer);
      void stopSandbox().finally(() => reject(new Error(`${err.message}; the sandbox's log: ${LOG_FILE}`)));
    };
    child!.stdout!.on('data', onData);
    child!.once('exit', (code) => fail(new Error(`the sandbox exited (${code}) before it was ready`)));
  });

  project.provide('sandboxUrl', `http://127.0.0.1:${telegramPort}`);
  project.provide('sandboxLog', LOG_FILE);

  return async () => {
    await stopSandbox();
    log.end();
    const shots = existsSync(SCREENSHOT_DIR)
      ? readdirSync(SCREENSHOT_DIR).filter((f) => f.endsWith('.png'))
      : [];
    process.stdout.write(
      `\nbrowser suite: ${shots.length} screenshots in ${path.relative(REPO_ROOT, SCREENSHOT_DIR)}/ (${shots.join(', ')}); sandbox log: ${path.relative(REPO_ROOT, LOG_FILE)}\n`,
    );
  };
}
