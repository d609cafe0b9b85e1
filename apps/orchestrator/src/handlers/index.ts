import type { HandlersOf } from '@neurocards/platform';
import type { Deps } from './deps';
import { onCreditsRejected, onCreditsReserved, onOrderPlaced } from './orders';
import { onPromptRequested } from './prompt';
import { onTaskFailed, onTaskSubmitted, onTaskSucceeded, onVideoSent, onVideoUndeliverable } from './tasks';

export type { Deps } from './deps';
export { sweepExpired, startSweeper } from './deadlines';
export { statsHandler } from './stats';
export { ordersListHandler, videoGetHandler } from './orders-list';

/** One handler per consumer of the orchestrator in the topology. */
export function createHandlers(deps: Deps) {
  return {
    'orders.order.placed.v1': onOrderPlaced(deps),
    'billing.credits.reserved.v1': onCreditsReserved(deps),
    'billing.credits.rejected.v1': onCreditsRejected(deps),
    'jobs.prompt.requested.v1': onPromptRequested(deps),
    'kie.task.submitted.v1': onTaskSubmitted(deps),
    'kie.task.succeeded.v1': onTaskSucceeded(deps),
    'kie.task.failed.v1': onTaskFailed(deps),
    'notify.video.sent.v1': onVideoSent(deps),
    'notify.video.undeliverable.v1': onVideoUndeliverable(deps),
  } satisfies HandlersOf<'orchestrator'>;
}
