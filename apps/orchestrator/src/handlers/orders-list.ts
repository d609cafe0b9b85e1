import type { FailureClass, RpcRequest, RpcResponse, TemplateId, VideoCount } from '@neurocards/contracts';
import type { Sql } from '@neurocards/platform';
import * as store from '../adapters/store';
import type { JobState } from '../domain/job-state';

type ListedJob = RpcResponse<'orchestrator.orders.list'>['orders'][number]['jobs'][number];

/** What the seller sees of a job's state: before KIE, at KIE (or being sent), or its outcome. */
export function shownState(state: JobState): ListedJob['state'] {
  switch (state) {
    case 'prompting':
    case 'submitted':
      return 'queued';
    case 'generating':
    case 'ready':
      return 'generating';
    case 'delivered':
      return 'delivered';
    case 'failed':
      return 'failed';
    default: {
      const never: never = state;
      throw new Error(`unknown job state ${String(never)}`);
    }
  }
}

/** `orchestrator.orders.list` for the seller's /orders. */
export function ordersListHandler(sql: Sql) {
  return async (req: RpcRequest<'orchestrator.orders.list'>): Promise<RpcResponse<'orchestrator.orders.list'>> => {
    const rows = await store.listOrders(sql, req.userId, req.limit);
    return {
      orders: rows.map((o) => ({
        orderId: o.order_id,
        placedAt: new Date(o.placed_at).toISOString(),
        template: o.template as TemplateId,
        model: o.model,
        count: o.count as VideoCount,
        status: o.status,
        jobs: o.jobs.map((j) => ({
          jobId: j.job_id,
          index: j.video_index,
          state: shownState(j.state),
          failureReason: j.state === 'failed' ? ((j.failure_reason as FailureClass | null) ?? null) : null,
          fileId: j.state === 'delivered' ? j.video_file_id : null,
        })),
      })),
    };
  };
}

/** `orchestrator.video.get`: a seller's own video, for sending it again from /orders. */
export function videoGetHandler(sql: Sql) {
  return async (req: RpcRequest<'orchestrator.video.get'>): Promise<RpcResponse<'orchestrator.video.get'>> => {
    const v = await store.videoOf(sql, req.userId, req.jobId);
    return v ? { found: true, fileId: v.fileId } : { found: false, fileId: null };
  };
}
