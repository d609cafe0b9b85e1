/**
 * The product's own decisions the evening simulation runs: the dispatcher's fair-share order
 * (`fairOrder`, apps/kie-dispatcher/src/domain/fair-queue.ts) and its wait estimator
 * (estimate.ts), loaded at run time. Both come from issue 10's scheduling work; while a
 * checkout does not have them yet, the bench says so in its report and uses the stand-ins
 * below, written to the same interface, so a run never silently measures something else.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '@neurocards/launcher';

/** The fair queue's view of one waiting video (fair-queue.ts `Waiting`). */
export interface Waiting {
  id: string;
  seller: string;
  order: string;
  /** 1-based video number within its order. */
  index: number;
  /** Epoch ms when the video entered the queue. */
  queuedAt: number;
}

export type FairOrder = <T extends Waiting>(waiting: readonly T[], served?: ReadonlyMap<string, number>) => T[];

/** The estimator's input and answer (estimate.ts `EstimateInput`, `Estimate`). */
export interface EstimateInput {
  position: number;
  measuredPerSecond: number;
  backlogged: boolean;
  budgetPerSecond: number;
  generationSeconds: number | null;
}
export type EstimateWait = (i: EstimateInput) => { waitSeconds: number | null };

export interface Scheduler {
  fairOrder: FairOrder;
  /** Where the function came from: the product's file, or the bench's stand-in. */
  source: string;
  /** The product's wait estimate; undefined when this checkout does not have it. */
  estimateWait?: EstimateWait;
  estimateSource: string;
}

const domain = path.join(REPO_ROOT, 'apps', 'kie-dispatcher', 'src', 'domain');

export async function loadScheduler(): Promise<Scheduler> {
  const load = async <T>(name: string, fn: string): Promise<T | undefined> => {
    const file = path.join(domain, name);
    if (!existsSync(file)) return undefined;
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    return typeof mod[fn] === 'function' ? (mod[fn] as T) : undefined;
  };
  const fairOrder = await load<FairOrder>('fair-queue.ts', 'fairOrder');
  const estimateWait = await load<EstimateWait>('estimate.ts', 'estimateWait');
  return {
    fairOrder: fairOrder ?? standInFairOrder,
    source: fairOrder
      ? 'product: apps/kie-dispatcher/src/domain/fair-queue.ts'
      : 'bench stand-in (fair-queue.ts not in this checkout)',
    ...(estimateWait ? { estimateWait } : {}),
    estimateSource: estimateWait
      ? 'product: `estimateWait` in apps/kie-dispatcher/src/domain/estimate.ts'
      : 'bench stand-in (estimate.ts not in this checkout)',
  };
}

/**
 * Stand-in with the rules: every order's first video before anyone's second, then
 * sellers in turn (least recently served first), oldest first within a seller.
 */
export const standInFairOrder: FairOrder = (waiting, served = new Map()) => {
  const out: (typeof waiting)[number][] = [];
  for (const tier of [0, 1]) {
    const bySeller = new Map<string, (typeof waiting)[number][]>();
    for (const w of waiting) {
      if ((w.index <= 1 ? 0 : 1) !== tier) continue;
      const l = bySeller.get(w.seller) ?? [];
      l.push(w);
      bySeller.set(w.seller, l);
    }
    const keyed: { w: (typeof waiting)[number]; round: number; last: number; head: number }[] = [];
    for (const [seller, l] of bySeller) {
      l.sort((a, b) => a.queuedAt - b.queuedAt || a.index - b.index);
      const last = served.get(seller) ?? Number.NEGATIVE_INFINITY;
      l.forEach((w, round) => keyed.push({ w, round, last, head: l[0]!.queuedAt }));
    }
    keyed.sort((a, b) => a.round - b.round || a.last - b.last || a.head - b.head || a.w.queuedAt - b.w.queuedAt);
    out.push(...keyed.map((k) => k.w));
  }
  return out;
};
