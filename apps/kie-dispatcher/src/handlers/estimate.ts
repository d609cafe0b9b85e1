import type { RpcRequest, RpcResponse } from '@neurocards/contracts';
import type { Sql } from '@neurocards/platform';
import type { KeyPool } from '../adapters/key-pool';
import type { ModelStore } from '../adapters/model-store';
import { backloggedSince, medianGenerationSeconds, submissionsSince, waitingVideos } from '../adapters/queue-stats';
import { runnableOn } from '../domain/availability';
import { estimateWait, type Estimate, type EstimateInput } from '../domain/estimate';
import { fairOrder, type Waiting } from '../domain/fair-queue';
import { keyHealth, type SubmitRate } from '../domain/keys';

export interface EstimatorDeps {
  sql: Sql;
  pool: KeyPool;
  models: ModelStore;
  defaultModel: string;
  rate: SubmitRate;
  maxInFlight: number;
  clock: () => number;
}

/** Submissions are measured over the last minute; generation times over the last hour. */
const RATE_WINDOW_MS = 60_000;
const GENERATION_WINDOW_MS = 3_600_000;

/** The measured rates for `model`, less the position (EstimateInput without `position`). */
export async function measure(d: EstimatorDeps, model: string): Promise<Omit<EstimateInput, 'position'>> {
  const now = d.clock();
  const [accounts, availability, submitted, backlogged, generationSeconds] = await Promise.all([
    d.pool.snapshot(),
    d.models.read(),
    submissionsSince(d.sql, new Date(now - RATE_WINDOW_MS)),
    backloggedSince(d.sql, new Date(now - RATE_WINDOW_MS)),
    medianGenerationSeconds(d.sql, model, new Date(now - GENERATION_WINDOW_MS)),
  ]);
  const runnable = new Set(runnableOn(availability, model, d.pool.accounts));
  let measured = 0;
  let budget = 0;
  const generation = generationSeconds ?? null;
  for (const a of accounts) {
    if (!runnable.has(a.name)) continue;
    measured += a.keys.reduce((n, k) => n + (submitted.get(k) ?? 0), 0) / (RATE_WINDOW_MS / 1000);
    // An account that can take work: KIE's window, and its in-flight cap over a generation.
    if (!a.keys.some((k) => keyHealth(a.state, k, now).state === 'ok')) continue;
    const windowRate = d.rate.limit / (d.rate.windowMs / 1000);
    const inFlightRate = d.maxInFlight / (generation ?? 210);
    budget += Math.min(windowRate, inFlightRate);
  }
  return { measuredPerSecond: measured, backlogged, budgetPerSecond: budget, generationSeconds: generation };
}

function answer(first: Estimate, last: Estimate, waiting: number): RpcResponse<'kie.queue.estimate'> {
  return { position: first.position, waitSeconds: first.waitSeconds, lastWaitSeconds: last.waitSeconds, waiting };
}

/** `kie.queue.estimate`: a new order's place and wait, or an existing order's. */
export function createEstimateHandler(d: EstimatorDeps) {
  return async (req: RpcRequest<'kie.queue.estimate'>): Promise<RpcResponse<'kie.queue.estimate'>> => {
    const { waiting, served } = await waitingVideos(d.sql);
    let queue: Waiting[] = waiting;
    let mine: string[];
    let model = req.model ?? d.defaultModel;
    if (req.orderId) {
      mine = waiting.filter((w) => w.order === req.orderId).map((w) => w.id);
      if (mine.length > 0) {
        const [r] = await d.sql`select model from tasks where job_id = ${mine[0]!}`;
        model = (r?.model as string | null) ?? model;
      }
    } else {
      const now = d.clock();
      const count = req.count ?? 1;
      const extra = Array.from({ length: count }, (_, i) => ({
        id: `new:${i + 1}`,
        seller: String(req.seller),
        order: 'new',
        index: i + 1,
        queuedAt: now,
      }));
      queue = [...waiting, ...extra];
      mine = extra.map((w) => w.id);
    }
    if (mine.length === 0) return { position: 0, waitSeconds: null, lastWaitSeconds: null, waiting: 0 };
    const order = fairOrder(queue, served).map((w) => w.id);
    const positions = mine.map((id) => order.indexOf(id)).sort((a, b) => a - b);
    const rates = await measure(d, model);
    return answer(
      estimateWait({ ...rates, position: positions[0]! }),
      estimateWait({ ...rates, position: positions[positions.length - 1]! }),
      mine.length,
    );
  };
}
