/**
 * The product's own decisions the evening simulation runs: the dispatcher's fair-share order
 * and its wait estimator, imported from apps/kie-dispatcher (like the slot code evening.ts
 * uses), so the bench always measures what ships.
 */
import { estimateWait } from '../../../apps/kie-dispatcher/src/domain/estimate';
import { fairOrder } from '../../../apps/kie-dispatcher/src/domain/fair-queue';

export type { EstimateInput } from '../../../apps/kie-dispatcher/src/domain/estimate';
export type { Waiting } from '../../../apps/kie-dispatcher/src/domain/fair-queue';

export type FairOrder = typeof fairOrder;
export type EstimateWait = typeof estimateWait;

export interface Scheduler {
  fairOrder: FairOrder;
  /** Where the function comes from, for the report. */
  source: string;
  estimateWait: EstimateWait;
  estimateSource: string;
}

export async function loadScheduler(): Promise<Scheduler> {
  return {
    fairOrder,
    source: 'product: apps/kie-dispatcher/src/domain/fair-queue.ts',
    estimateWait,
    estimateSource: 'product: `estimateWait` in apps/kie-dispatcher/src/domain/estimate.ts',
  };
}
