import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PORTS, SERVICES, serviceDir, serviceEntry, type ServiceName } from './services';

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

export interface LaunchOptions {
  env: NodeJS.ProcessEnv;
  services?: readonly ServiceName[];
  /** The HTTP port of each service, given to it as `HTTP_PORT`; default: `DEFAULT_PORTS`. */
  ports?: Partial<Record<ServiceName, number>>;
  /** Receives every output line of every service (defaults to this process' stdout/stderr). */
  onLine?: (service: ServiceName, line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Starts one service exactly as production does: its own Node process running the built
 * `apps/<name>/dist/main.js` (no tsx), configured only by the environment, with
 * `HTTP_PORT` set from the launcher's port table.
 * Callers run `ensureBuilt()` first, once; a missing bundle is an error here rather than a silent
 * fallback to the sources.
 */
export function launchService(name: ServiceName, opts: LaunchOptions): ServiceProcess {
  const dir = serviceDir(name);
  const entry = serviceEntry(name);
  if (!existsSync(entry)) throw new Error(`${path.relative(dir, entry)} of ${name} is missing: run \`pnpm build\` first`);
  const child = spawn(process.execPath, ['--enable-source-maps', entry], {
    cwd: dir,
    // Every service reads only HTTP_PORT: each child gets its own from the port table.
    env: { ...opts.env, HTTP_PORT: String(opts.ports?.[name] ?? DEFAULT_PORTS[name]) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const onLine =
    opts.onLine ??
    ((svc, line, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(`[${svc}] ${line}\n`));
  for (const stream of ['stdout', 'stderr'] as const) {
    let buf = '';
    child[stream]!.setEncoding('utf8');
    child[stream]!.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(name, buf.slice(0, i), stream);
        buf = buf.slice(i + 1);
      }
    });
    child[stream]!.on('end', () => buf && onLine(name, buf, stream));
  }
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { name, child, exited };
}

export interface Launched {
  processes: Map<ServiceName, ServiceProcess>;
  /** Sends SIGTERM to every service and waits for all to exit. */
  stop(): Promise<void>;
}

export function launchServices(opts: LaunchOptions): Launched {
  const processes = new Map<ServiceName, ServiceProcess>();
  for (const name of opts.services ?? SERVICES) processes.set(name, launchService(name, opts));
  return {
    processes,
    async stop() {
      const all = [...processes.values()];
      for (const p of all) if (p.child.exitCode === null) p.child.kill('SIGTERM');
      await Promise.all(all.map((p) => p.exited));
    },
  };
}

/** Polls each service's `/readyz` until all answer 200. */
export async function waitUntilReady(ports: Partial<Record<ServiceName, number>>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const pending = new Set(Object.keys(ports) as ServiceName[]);
  while (pending.size > 0) {
    for (const name of [...pending]) {
      const ok = await fetch(`http://127.0.0.1:${ports[name]}/readyz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) pending.delete(name);
    }
    if (pending.size === 0) return;
    if (Date.now() > until) throw new Error(`not ready within ${timeoutMs} ms: ${[...pending].join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
