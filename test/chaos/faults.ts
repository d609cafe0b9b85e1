import { SERVICES, type ServiceName } from '@neurocards/launcher';
import type { Product } from './product';
import type { Rng } from './rng';
import type { PrivateNats, PrivatePostgres } from './servers';

/** What the suite breaks, and when (ms after the sellers start). */
export type Fault =
  | { kind: 'kill'; at: number; services: ServiceName[] }
  | { kind: 'nats-restart'; at: number; downMs: number; signal: 'SIGKILL' | 'SIGTERM' }
  | { kind: 'postgres-restart'; at: number; downMs: number }
  | { kind: 'telegram-fail'; at: number; failNext: number }
  | { kind: 'telegram-throttle'; at: number; throttleNext: number }
  | { kind: 'kie-callbacks-lost'; at: number; forMs: number };

export interface FaultRecord {
  fault: Fault;
  startedAt: number;
  endedAt: number;
  /** False when the fault could not be injected (the report then fails the coverage line). */
  injected: boolean;
  note: string;
}

/** For the whole run: share of KIE callbacks never sent, and of callbacks sent twice. */
export interface CallbackChaos {
  lostRate: number;
  duplicateRate: number;
}

export function planCallbackChaos(rng: Rng): CallbackChaos {
  return { lostRate: rng.int(5, 20) / 100, duplicateRate: rng.int(15, 35) / 100 };
}

const shuffle = <T>(rng: Rng, items: T[]): T[] => {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

/**
 * Every service SIGKILLed alone, one pair killed together, one NATS restart and one
 * PostgreSQL restart, in a seeded order, spaced so each hits orders in flight; Telegram
 * send failures and a spell of lost KIE callbacks fall in between.
 */
export function planFaults(rng: Rng, opts: { startMs: number; gapMs: [number, number] }): Fault[] {
  const pair = shuffle(rng, [...SERVICES]).slice(0, 2);
  const heavy: Array<Omit<Fault, 'at'> & { kind: Fault['kind'] }> = shuffle(rng, [
    ...SERVICES.map((s) => ({ kind: 'kill' as const, services: [s] })),
    { kind: 'kill' as const, services: pair },
    {
      kind: 'nats-restart' as const,
      downMs: rng.int(1000, 5000),
      signal: rng.pick(['SIGKILL', 'SIGTERM'] as const),
    },
    { kind: 'postgres-restart' as const, downMs: rng.int(1000, 5000) },
  ]);
  const faults: Fault[] = [];
  let at = opts.startMs;
  for (const f of heavy) {
    faults.push({ ...f, at } as Fault);
    at += rng.int(...opts.gapMs);
  }
  const end = at;
  for (let i = 0; i < 3; i++)
    faults.push({ kind: 'telegram-fail', at: rng.int(opts.startMs, end), failNext: rng.int(2, 8) });
  for (let i = 0; i < 2; i++)
    faults.push({ kind: 'telegram-throttle', at: rng.int(opts.startMs, end), throttleNext: rng.int(2, 6) });
  faults.push({ kind: 'kie-callbacks-lost', at: rng.int(opts.startMs, end), forMs: rng.int(10_000, 30_000) });
  return faults.sort((a, b) => a.at - b.at);
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'kill':
      return `SIGKILL ${f.services.join(' + ')}`;
    case 'nats-restart':
      return `NATS restart (${f.signal}, down ${f.downMs} ms)`;
    case 'postgres-restart':
      return `PostgreSQL restart (pg_ctl -m immediate, down ${f.downMs} ms)`;
    case 'telegram-fail':
      return `Telegram: next ${f.failNext} sends fail (500)`;
    case 'telegram-throttle':
      return `Telegram: next ${f.throttleNext} sends throttled (429)`;
    case 'kie-callbacks-lost':
      return `KIE: every callback lost for ${f.forMs} ms`;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Injects the faults at their times. The heavy ones (kills, restarts) run one after another:
 * a kill waits until the service is ready again, so each one hits a working service.
 */
export async function injectFaults(
  faults: Fault[],
  deps: {
    t0: number;
    product: Product;
    nats: PrivateNats;
    pg: PrivatePostgres;
    callbacks: CallbackChaos;
    log: (line: string) => void;
  },
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  const { product, t0 } = deps;

  async function one(f: Fault): Promise<FaultRecord> {
    const startedAt = Date.now();
    let injected = true;
    let note = '';
    try {
      switch (f.kind) {
        case 'kill': {
          for (const s of f.services) await product.ready(s, 120_000);
          const pids = f.services.map((s) => product.pid(s));
          await product.kill(f.services);
          note = `pids ${pids.join(', ')}`;
          break;
        }
        case 'nats-restart':
          await deps.nats.restart(f.downMs, f.signal);
          break;
        case 'postgres-restart':
          await deps.pg.restart(f.downMs);
          break;
        case 'telegram-fail':
          product.tg.setBehavior({ failNext: f.failNext });
          break;
        case 'telegram-throttle':
          product.tg.setBehavior({ throttleNext: f.throttleNext });
          break;
        case 'kie-callbacks-lost': {
          product.kie.setBehavior({ lostCallbackRate: 1 });
          await sleep(f.forMs);
          product.kie.setBehavior({ lostCallbackRate: deps.callbacks.lostRate });
          break;
        }
      }
    } catch (err) {
      injected = false;
      note = (err as Error).message;
    }
    const rec = { fault: f, startedAt, endedAt: Date.now(), injected, note };
    deps.log(
      `[chaos] +${((startedAt - t0) / 1000).toFixed(1)}s ${describeFault(f)}${injected ? '' : ' — NOT INJECTED'} ${note}`,
    );
    return rec;
  }

  const heavy = faults.filter((f) => ['kill', 'nats-restart', 'postgres-restart'].includes(f.kind));
  const light = faults.filter((f) => !heavy.includes(f));
  const lightDone = Promise.all(
    light.map(async (f) => {
      await sleep(Math.max(0, t0 + f.at - Date.now()));
      records.push(await one(f));
    }),
  );
  for (const f of heavy) {
    await sleep(Math.max(0, t0 + f.at - Date.now()));
    records.push(await one(f));
  }
  await lightDone;
  return records.sort((a, b) => a.startedAt - b.startedAt);
}
