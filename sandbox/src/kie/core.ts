import { Accounts } from './accounts.js';
import type { KeyCaps } from './accounts.js';
import { marketCallbackBody, postCallback, veoCallbackBody } from './callbacks.js';
import type { CallbackDelivery } from './callbacks.js';
import { MODELS } from './models.js';
import type { ModelSpec } from './models.js';
import { newTaskId, record, veoRecord } from './tasks.js';
import type { Task } from './tasks.js';
import { KieError } from './types.js';
import type { KieBehavior, KieKeyOutcomes, KieRates } from './types.js';
import type { ValidRequest } from './validate.js';

// Wording of KIE's codes (https://docs.kie.ai/market/quickstart, .../common-api/get-account-credits).
const MESSAGES: Record<number, string> = {
  401: 'You do not have access permissions',
  402: 'Credits insufficient. Please top up your account.',
  429: 'Your call frequency is too high. Please try again later.',
  433: 'Sub-key usage limit exceeded',
  451: 'Failed to fetch the image. Please verify any access limits set by you or your service provider.',
  455: 'Service is under maintenance, please try again later.',
  500: 'Server error, please try again later.',
  505: 'The feature is disabled.',
};
export const kieError = (code: number): KieError => new KieError(code, MESSAGES[code] ?? 'error');

export type Endpoint = 'createTask' | 'recordInfo' | 'credit' | 'upload';

export interface KieCoreOptions {
  /** account → its keys. */
  accounts?: Record<string, readonly string[]>;
  keyCaps?: Record<string, KeyCaps>;
  hmacKey?: string;
  startingCredits: number;
  withdrawn?: readonly string[];
  resultUrl: (taskId: string) => string;
}

/** Tasks, accounts, keys and their accounting for one KIE simulator; both API families share it. */
export class KieCore {
  readonly tasks = new Map<string, Task>();
  readonly callbacks: CallbackDelivery[] = [];
  readonly counts = new Map<string, Record<Endpoint, number>>();
  /** What each key met at createTask and after (errors by kind, refusals, lost and duplicate callbacks). */
  readonly outcomes = new Map<string, KieKeyOutcomes>();
  readonly accounts: Accounts;
  readonly withdrawn: Set<string>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    readonly behavior: KieBehavior,
    private readonly opts: KieCoreOptions,
  ) {
    this.accounts = new Accounts(opts.accounts, opts.startingCredits, opts.keyCaps);
    this.withdrawn = new Set(opts.withdrawn ?? []);
  }

  /** The model table as KIE serves it now: a withdrawn model is unknown. */
  readonly lookup = (id: string): ModelSpec | undefined => (this.withdrawn.has(id) ? undefined : MODELS.get(id));

  /** Bearer key check (401 for a missing or unknown key). Counts the request. */
  authorize(header: string | undefined, endpoint: Endpoint): { key: string; account: string } {
    const key = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim() ?? '';
    const account = this.accounts.accountOf(key);
    if (account === undefined) throw kieError(401);
    const c = this.counts.get(key) ?? { createTask: 0, recordInfo: 0, credit: 0, upload: 0 };
    c[endpoint]++;
    this.counts.set(key, c);
    return { key, account };
  }

  /** A failure share for this key: its own override, else its account's, else the global one. */
  rate(name: keyof KieRates, key: string, account: string): number {
    const r = this.behavior.rates;
    return r[key]?.[name] ?? r[account]?.[name] ?? this.behavior[name];
  }

  private chance(name: keyof KieRates, key: string, account: string): boolean {
    const p = this.rate(name, key, account);
    return p > 0 && Math.random() < p;
  }

  outcomesOf(key: string): KieKeyOutcomes {
    let o = this.outcomes.get(key);
    if (o === undefined) {
      o = { created: 0, refused: 0, noCredits: 0, rateLimited: 0, serverErrors: 0, otherErrors: 0, lostCallbacks: 0, duplicateCallbacks: 0 };
      this.outcomes.set(key, o);
    }
    return o;
  }

  /** Counts the error a createTask call answers with, then rethrows it. */
  private counted<T>(key: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof KieError) {
        const o = this.outcomesOf(key);
        if (err.code === 402) o.noCredits++;
        else if (err.code === 429) o.rateLimited++;
        else if (err.code >= 500 && err.code < 600 && err.code !== 505) o.serverErrors++;
        else if (err.code === 422) o.refused++;
        else o.otherErrors++;
      }
      throw err;
    }
  }

  /** The failures a new task may meet before its body is looked at. */
  gate(key: string, account: string): void {
    this.counted(key, () => this.gateChecks(key, account));
  }

  private gateChecks(key: string, account: string): void {
    const b = this.behavior;
    if (b.maintenanceNext > 0) {
      b.maintenanceNext--;
      throw kieError(455);
    }
    if (b.failNext > 0) {
      b.failNext--;
      throw kieError(500);
    }
    if (this.chance('serverErrorRate', key, account)) throw kieError(500);
    const forced = b.accountErrors[key] ?? b.accountErrors[account];
    if (forced !== undefined) throw kieError(forced);
    if (this.chance('noCreditsRate', key, account)) {
      this.accounts.refusedForCredits(account);
      throw kieError(402);
    }
    if (b.force429Next > 0 || this.chance('rateLimitRate', key, account)) {
      if (b.force429Next > 0) b.force429Next--;
      this.accounts.rateLimited(account, key);
      throw kieError(429);
    }
  }

  private running(account: string): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.account === account && t.completedAt === undefined) n++;
    return n;
  }

  create(key: string, account: string, req: ValidRequest): Task {
    return this.counted(key, () => this.createTask(key, account, req));
  }

  private createTask(key: string, account: string, req: ValidRequest): Task {
    const b = this.behavior;
    const now = Date.now();
    const refused = (b.refusalMarker !== '' && req.prompt.includes(b.refusalMarker)) || this.chance('refusalRate', key, account);
    if (refused && b.refusalMode === 'createTask') {
      throw new KieError(422, 'Your prompt was flagged by the content moderation system as violating content policies.');
    }
    if (b.unfetchableImageMarker !== '' && req.imageUrls.some((u) => u.includes(b.unfetchableImageMarker))) throw kieError(451);
    const cost = b.taskCost ?? req.model.cost(req.fields);
    if (this.accounts.capExceeded(key, cost, now)) throw kieError(433);
    if (this.accounts.noCredits(account, cost)) throw kieError(402);
    if (this.accounts.windowFull(account, key, b.rateLimit, now)) throw kieError(429);
    if (this.running(account) >= b.runningCap && this.accounts.rateLimited(account, key)) throw kieError(429);
    this.accounts.charge(account, key, cost, now, b.rateLimit.windowMs);

    let outcome: Task['outcome'] = refused ? 'content' : 'success';
    if (!refused && b.refuseNext > 0) {
      b.refuseNext--;
      outcome = 'content';
    } else if (!refused && b.taskFailNext > 0) {
      b.taskFailNext--;
      outcome = 'transient';
    } else if (!refused && b.taskFailRate > 0 && Math.random() < b.taskFailRate) outcome = 'transient';
    const lost = this.chance('lostCallbackRate', key, account);
    const extra = lost ? 0 : b.duplicateCallbacks + (this.chance('duplicateCallbackRate', key, account) ? 1 : 0);
    const o = this.outcomesOf(key);
    o.created++;
    if (outcome === 'content') o.refused++;
    if (lost) o.lostCallbacks++;
    o.duplicateCallbacks += extra;
    const spread = b.latencyMaxMs !== undefined && b.latencyMaxMs > b.latencyMs ? Math.random() * (b.latencyMaxMs - b.latencyMs) : 0;
    const taskId = newTaskId(req.model.family);
    const task: Task = {
      taskId,
      family: req.model.family,
      account,
      key,
      model: req.model.id,
      prompt: req.prompt,
      imageUrls: req.imageUrls,
      ...(req.callBackUrl !== undefined ? { callBackUrl: req.callBackUrl } : {}),
      body: req.body,
      param: JSON.stringify(req.body),
      cost,
      createdAt: now,
      latencyMs: Math.round(b.latencyMs + spread),
      outcome,
      resultUrl: this.opts.resultUrl(taskId),
      callbackCopies: lost ? 0 : 1 + extra,
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
    const now = Date.now();
    const body = task.family === 'veo' ? veoCallbackBody(veoRecord(task, now)) : marketCallbackBody(record(task, now));
    for (let copy = 0; copy < task.callbackCopies; copy++) {
      const p = postCallback(url, task.taskId, body, this.opts.hmacKey, copy).then((d) => {
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
