/**
 * Holding: one kie-dispatcher with 10,000 tasks running at KIE (the simulator takes hours to
 * finish them). The tasks arrive as the orchestrator's own command (`kie.task.submit.v1`),
 * with KIE's and the dispatcher's submission limits lifted so that they are all running
 * within a minute; the orchestrator is stopped first, so only the dispatcher works. Reports
 * the dispatcher's resident memory per running task and its CPU while it holds them (its
 * polling of KIE's recordInfo included).
 */
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { ensureBuilt } from '@neurocards/launcher';
import { createEvent } from '@neurocards/contracts';
import { createPublisher, openObjectStore } from '@neurocards/platform';
import { startStack } from '../../src/stack';
import { PRODUCT_JPEG } from '../../src/seller';
import { cpuMs, memory } from './proc';

export interface HoldingResult {
  tasks: number;
  running: number;
  fillSeconds: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  kibPerTask: number;
  /** V8 heap in use (the service's own `nodejs_heap_size_used_bytes` metric), before and after, MiB. */
  heapBeforeMiB: number;
  heapAfterMiB: number;
  heapKibPerTask: number;
  restSeconds: number;
  cpuPercentAtRest: number;
  cpuPercentIdle: number;
}

export async function runHolding(o: { tasks: number; restSeconds: number; log: (s: string) => void }): Promise<HoldingResult> {
  await ensureBuilt();
  const stack = await startStack({
    kieLatencyMs: 6 * 3_600_000,
    kie: {
      runningCap: 1_000_000,
      credits: 1_000_000_000,
      behavior: { rateLimit: { tasks: 1_000_000, windowMs: 10_000 } },
    },
    env: { KIE_SUBMIT_RATE: '1000000/10s', KIE_MAX_IN_FLIGHT: '1000000', LOG_LEVEL: 'warn' },
  });
  try {
    await stack.terminate('orchestrator');
    const pid = stack.processes.get('kie-dispatcher')!.child.pid!;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Idle first: the same service holding nothing, for the baseline.
    await sleep(5_000);
    const idle0 = cpuMs(pid);
    await sleep(o.restSeconds * 1000);
    const cpuPercentIdle = ((cpuMs(pid) - idle0) / (o.restSeconds * 1000)) * 100;
    const rssBeforeMiB = memory(pid).rssMiB;
    const heap = async () => {
      const text = await (await fetch(`http://127.0.0.1:${stack.ports['kie-dispatcher']}/metrics`)).text();
      return Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+(\S+)/m.exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
    };
    const heapBeforeMiB = await heap();

    let running = 0;
    stack.nc.subscribe('kie.task.submitted.v1', {
      callback: () => {
        running++;
      },
    });
    const photos = await openObjectStore(stack.nc, 'photos', 1);
    await photos.putBlob({ name: 'peak-holding', metadata: { mimeType: 'image/jpeg' } }, PRODUCT_JPEG);
    const publish = createPublisher(jetstream(stack.nc));
    const t0 = performance.now();
    const orderId = randomUUID();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < o.tasks) {
          const i = next++;
          await publish(
            createEvent({
              subject: 'kie.task.submit.v1',
              id: `peak-hold-${orderId}-${i}`,
              correlationId: orderId,
              data: {
                orderId,
                jobId: `${orderId}-${i}`,
                prompt: 'A product video for the evening peak benchmark.',
                photo: { objectKey: 'peak-holding', mimeType: 'image/jpeg', sizeBytes: PRODUCT_JPEG.length, fileUniqueId: 'peak-holding' },
                aspectRatio: 'portrait',
              },
            }),
          );
        }
      }),
    );
    const deadline = Date.now() + 10 * 60_000;
    while (running < o.tasks && Date.now() < deadline) await sleep(500);
    const fillSeconds = (performance.now() - t0) / 1000;
    o.log(`  holding: ${running}/${o.tasks} tasks running after ${fillSeconds.toFixed(0)} s`);
    // Let the submission burst's garbage go, then measure at rest.
    await sleep(15_000);
    const c0 = cpuMs(pid);
    await sleep(o.restSeconds * 1000);
    const cpuPercentAtRest = ((cpuMs(pid) - c0) / (o.restSeconds * 1000)) * 100;
    const rssAfterMiB = memory(pid).rssMiB;
    const heapAfterMiB = await heap();
    return {
      tasks: o.tasks,
      running,
      fillSeconds,
      rssBeforeMiB,
      rssAfterMiB,
      kibPerTask: ((rssAfterMiB - rssBeforeMiB) * 1024) / Math.max(1, running),
      heapBeforeMiB,
      heapAfterMiB,
      heapKibPerTask: ((heapAfterMiB - heapBeforeMiB) * 1024) / Math.max(1, running),
      restSeconds: o.restSeconds,
      cpuPercentAtRest,
      cpuPercentIdle,
    };
  } finally {
    await stack.stop();
  }
}
