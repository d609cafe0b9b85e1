import { randomBytes } from 'node:crypto';
import { CONTENT_FAILURE, TRANSIENT_FAILURE } from './types.js';
import type { KieRecord, TaskState } from './types.js';

export interface Task {
  taskId: string;
  key: string;
  model: string;
  prompt: string;
  imageUrls: string[];
  callBackUrl?: string;
  param: string;
  createdAt: number;
  latencyMs: number;
  outcome: 'success' | 'content' | 'transient';
  completedAt?: number;
  /** How many callback POSTs the finished task gets (0: the callback is lost), decided at creation. */
  callbackCopies: number;
  resultUrl: string;
}

export function newTaskId(): string {
  return randomBytes(16).toString('hex');
}

/** Where a task is at `now`: the state machine runs on the clock until the completion timer fires. */
export function stateAt(task: Task, now: number): { state: TaskState; progress: number } {
  if (task.completedAt !== undefined) return { state: task.outcome === 'success' ? 'success' : 'fail', progress: task.outcome === 'success' ? 100 : 0 };
  const f = (now - task.createdAt) / Math.max(1, task.latencyMs);
  if (f < 0.1) return { state: 'waiting', progress: 0 };
  if (f < 0.25) return { state: 'queuing', progress: 0 };
  return { state: 'generating', progress: Math.min(99, Math.floor(((f - 0.25) / 0.75) * 100)) };
}

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
