import { randomBytes } from 'node:crypto';
import type { Family } from './models.js';
import { CONTENT_FAILURE, TRANSIENT_FAILURE, VEO_CONTENT_FAILURE, VEO_TRANSIENT_FAILURE } from './types.js';
import type { KieRecord, TaskState, VeoRecord } from './types.js';

export interface Task {
  taskId: string;
  family: Family;
  account: string;
  key: string;
  model: string;
  prompt: string;
  imageUrls: string[];
  callBackUrl?: string;
  /** The request body exactly as received (Market: { model, callBackUrl?, input }; Veo: the generate body). */
  body: Record<string, unknown>;
  /** JSON of the body: recordInfo's `param`, record-info's `paramJson`. */
  param: string;
  cost: number;
  createdAt: number;
  latencyMs: number;
  outcome: 'success' | 'content' | 'transient';
  completedAt?: number;
  /** How many callback POSTs the finished task gets (0: the callback is lost), decided at creation. */
  callbackCopies: number;
  resultUrl: string;
}

export function newTaskId(family: Family): string {
  // Veo ids look like "veo_task_…" in https://docs.kie.ai/veo3-api/get-veo-3-video-details.
  return `${family === 'veo' ? 'veo_task_' : ''}${randomBytes(16).toString('hex')}`;
}

/** Where a task is at `now`: the state machine runs on the clock until the completion timer fires. */
export function stateAt(task: Task, now: number): { state: TaskState; progress: number } {
  if (task.completedAt !== undefined) return { state: task.outcome === 'success' ? 'success' : 'fail', progress: task.outcome === 'success' ? 100 : 0 };
  const f = (now - task.createdAt) / Math.max(1, task.latencyMs);
  if (f < 0.1) return { state: 'waiting', progress: 0 };
  if (f < 0.25) return { state: 'queuing', progress: 0 };
  return { state: 'generating', progress: Math.min(99, Math.floor(((f - 0.25) / 0.75) * 100)) };
}

/** Market recordInfo `data` (https://docs.kie.ai/market/common/get-task-detail). */
export function record(task: Task, now: number): KieRecord {
  const { state, progress } = stateAt(task, now);
  const failure = state === 'fail' ? (task.outcome === 'content' ? CONTENT_FAILURE : TRANSIENT_FAILURE) : undefined;
  const done = task.completedAt;
  return {
    taskId: task.taskId,
    model: task.model,
    state,
    param: task.param,
    resultJson: state === 'success' ? JSON.stringify({ resultUrls: [task.resultUrl] }) : '',
    failCode: failure?.failCode ?? '',
    failMsg: failure?.failMsg ?? '',
    progress,
    costTime: done === undefined ? 0 : Math.round((done - task.createdAt) / 1000),
    createTime: task.createdAt,
    updateTime: done ?? now,
    completeTime: done ?? null,
  };
}

/** "2025-06-06 10:30:00", the time format of Veo's record-info. */
const veoTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Veo record-info `data` (https://docs.kie.ai/veo3-api/get-veo-3-video-details): successFlag 0
 * generating, 1 success, 2 failed (a refused prompt/image ends here), 3 generation failed (created,
 * then the upstream generation failed). `response` only once successful.
 */
export function veoRecord(task: Task, _now: number): VeoRecord {
  const done = task.completedAt !== undefined;
  const flag = !done ? 0 : task.outcome === 'success' ? 1 : task.outcome === 'content' ? 2 : 3;
  const failure = flag === 2 ? VEO_CONTENT_FAILURE : flag === 3 ? VEO_TRANSIENT_FAILURE : undefined;
  const aspect = task.body.aspect_ratio;
  return {
    taskId: task.taskId,
    paramJson: task.param,
    completeTime: task.completedAt !== undefined ? veoTime(task.completedAt) : null,
    response:
      flag === 1
        ? {
            taskId: task.taskId,
            resultUrls: [task.resultUrl],
            // originUrls only has values when the aspect ratio is not 16:9 (callback page).
            originUrls: aspect === undefined || aspect === '16:9' ? [] : [task.resultUrl],
            resolution: typeof task.body.resolution === 'string' ? task.body.resolution : '720p',
          }
        : null,
    successFlag: flag,
    errorCode: failure?.errorCode ?? null,
    errorMessage: failure?.errorMessage ?? '',
    createTime: veoTime(task.createdAt),
    fallbackFlag: false,
  };
}
