/**
 * `pnpm start`: the five services as separate processes, configured only by the
 * environment (docs/design.md §3). Production-like: it starts no simulators and no databases.
 * A service that crashes is restarted with back-off; SIGTERM/SIGINT stop all of them.
 * Built itself (`dist/start.js`): the root `start` script runs the build first, which
 * refreshes this file and the services' bundles when their sources changed.
 */
import { launchService, type ServiceProcess } from './launch';
import { SERVICES, type ServiceName } from './services';

const running = new Map<ServiceName, ServiceProcess>();
let stopping = false;

function start(name: ServiceName, restarts = 0): void {
  const p = launchService(name, { env: process.env });
  running.set(name, p);
  void p.exited.then((code) => {
    if (stopping) return;
    const delay = Math.min(30_000, 1000 * 2 ** restarts);
    process.stderr.write(`[launcher] ${name} exited (${code}); restarting in ${delay} ms\n`);
    setTimeout(() => !stopping && start(name, restarts + 1), delay).unref();
  });
}

for (const name of SERVICES) start(name);

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    stopping = true;
    for (const p of running.values()) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    void Promise.all([...running.values()].map((p) => p.exited)).then(() => process.exit(0));
  });
}
