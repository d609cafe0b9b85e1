import { SlidingWindow } from '../shared/token-bucket.js';
import { postCallback } from './callbacks.js';
import type { CallbackDelivery } from './callbacks.js';
import { newTaskId, record } from './tasks.js';
import type { Task } from './tasks.js';
import { KieError } from './types.js';
import type { KieBehavior } from './types.js';
import type { CreateTaskRequest } from './validate.js';

const MESSAGES: Record<number, string> = {
  401: 'You do not have access permissions',
  402: 'Credits insufficient. Please top up your account.',
  429: 'Your call frequency is too high. Please try again later.',
  433: 'API key usage limit exceeded',
  455: 'Service is under maintenance, please try again later.',
  500: 'Server error, please try again later.',
  505: 'The feature is disabled.',
};
export const kieError = (code: number): KieError => new KieError(code, MESSAGES[code] ?? 'error');

export type Endpoint = 'createTask' | 'recordInfo' | 'credit' | 'upload';

/** Tasks, keys and their accounting for one KIE simulator. */
export class KieCore {
  readonly tasks = new Map<string, Task>();
  readonly callbacks: CallbackDelivery[] = [];
  readonly counts = new Map<string, Record<Endpoint, number>>();
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly credits = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    readonly behavior: KieBehavior,
    private readonly opts: { keys?: string[]; hmacKey?: string; startingCredits: number; resultUrl: (taskId: string) => string },
  ) {}

  /** Bearer key check: opts.keys when given, any non-empty key otherwise. Counts the request. */
  authorize(header: string | undefined, endpoint: Endpoint): string {
    const key = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() ?? '';
    if (key === '' || (this.opts.keys !== undefined && !this.opts.keys.includes(key))) throw kieError(401);
    const c = this.counts.get(key) ?? { createTask: 0, recordInfo: 0, credit: 0, upload: 0 };
    c[endpoint]++;
    this.counts.set(key, c);
    return key;
  }

  creditsOf(key: string): number {
    return this.credits.get(key) ?? this.opts.startingCredits;
  }
  setCredits(key: string, credits: number): void {
    this.credits.set(key, credits);
  }

  /** The failures a createTask may meet before its body is looked at. */
  gate(key: string): void {
    const b = this.behavior;
    if (b.maintenanceNext > 0) {
      b.maintenanceNext--;
      throw kieError(455);
    }
    if (b.failNext > 0) {
      b.failNext--;
      throw kieError(500);
    }
    if (b.serverErrorRate > 0 && Math.random() < b.serverErrorRate) throw kieError(500);
    const account = b.accountErrors[key];
    if (account !== undefined) throw kieError(account);
    if (b.force429Next > 0) {
      b.force429Next--;
      throw kieError(429);
    }
  }

  create(key: string, req: CreateTaskRequest): Task {
    const b = this.behavior;
    const refused = b.refusalMarker !== '' && req.input.prompt.includes(b.refusalMarker);
    if (refused && b.refusalMode === 'createTask') {
      throw new KieError(422, 'Your prompt was flagged by the content moderation system as violating content policies.');
    }
    if (this.creditsOf(key) < b.taskCost) throw kieError(402);
    const windowKey = `${key}|${b.rateLimit.tasks}/${b.rateLimit.windowMs}`;
    let window = this.windows.get(windowKey);
    if (window === undefined) this.windows.set(windowKey, (window = new SlidingWindow(b.rateLimit.tasks, b.rateLimit.windowMs)));
    if (!window.hit().ok) throw kieError(429);
    this.credits.set(key, this.creditsOf(key) - b.taskCost);

    let outcome: Task['outcome'] = refused ? 'content' : 'success';
    if (!refused && b.taskFailNext > 0) {
      b.taskFailNext--;
      outcome = 'transient';
    } else if (!refused && b.taskFailRate > 0 && Math.random() < b.taskFailRate) outcome = 'transient';
    const spread = b.latencyMaxMs !== undefined && b.latencyMaxMs > b.latencyMs ? Math.random() * (b.latencyMaxMs - b.latencyMs) : 0;
    const taskId = newTaskId();
    const task: Task = {
      taskId,
      key,
      model: req.model,
      prompt: req.input.prompt,
      imageUrls: req.input.image_urls,
      ...(req.callBackUrl !== undefined ? { callBackUrl: req.callBackUrl } : {}),
      param: JSON.stringify(req),
      createdAt: Date.now(),
      latencyMs: Math.round(b.latencyMs + spread),
      outcome,
      resultUrl: this.opts.resultUrl(taskId),
      callbackCopies:
        b.lostCallbackRate > 0 && Math.random() < b.lostCallbackRate
          ? 0
          : 1 + b.duplicateCallbacks + (b.duplicateCallbackRate > 0 && Math.random() < b.duplicateCallbackRate ? 1 : 0),
    };
    this.tasks.set(taskId, task);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.finish(task);
    }, task.latencyMs);
    timer.unref();
    this.timers.add(timer);
    return task;
  }

  private finish(task: Task): void {
    if (this.closed) return;
    task.completedAt = Date.now();
    const url = task.callBackUrl;
    if (url === undefined) return;
    for (let copy = 0; copy < task.callbackCopies; copy++) {
      const p = postCallback(url, record(task, Date.now()), this.opts.hmacKey, copy).then((d) => {
        this.callbacks.push(d);
        this.inFlight.delete(p);
      });
      this.inFlight.add(p);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.allSettled([...this.inFlight]);
  }
}
