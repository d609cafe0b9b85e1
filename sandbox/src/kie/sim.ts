import { readFile } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import { baseApp } from '../shared/app.js';
import { listen } from '../shared/http.js';
import { imageSize } from '../shared/image.js';
import { makeTinyMp4 } from '../shared/mp4.js';
import type { CallbackDelivery } from './callbacks.js';
import { KieCore } from './core.js';
import type { Endpoint } from './core.js';
import { registerKieRoutes } from './routes.js';
import type { Upload } from './routes.js';
import { stateAt } from './tasks.js';
import type { Task } from './tasks.js';
import type { KieBehavior } from './types.js';
import type { AccountStats, KeyCaps } from './accounts.js';
import { MODELS } from './models.js';
import type { Family } from './models.js';
import { createRenderer } from './render.js';
import type { RenderRequest, RendererOptions, RenderStats } from './render.js';
import { orientationOf, templateOf } from './render-plan.js';

export interface KieSimOptions {
  port?: number;
  host?: string;
  /**
   * Accounts and their keys: limits (20 new tasks / 10 s, running cap) and the credit balance are
   * per account, shared by its keys. A key not listed answers 401. Wins over `keys`.
   */
  accounts?: Record<string, string[]>;
  /** Accepted keys, each its own account (back-compat); with neither option any non-empty key is accepted as its own account. */
  keys?: string[];
  /** Per-key spending caps in credits (rolling hour, rolling day, total); past one the key answers 433. */
  keyCaps?: Record<string, KeyCaps>;
  /** Model ids answered as unknown from the start (as KIE answers a withdrawn model). */
  withdrawn?: string[];
  /** Unfinished tasks per account before 429 (default 100). */
  runningCap?: number;
  /** When set, callbacks carry X-Webhook-Timestamp and X-Webhook-Signature. */
  hmacKey?: string;
  /** Time a task takes (default 3 s). */
  latencyMs?: number;
  /** Starting credits of every account (default 10,000). */
  credits?: number;
  behavior?: Partial<KieBehavior>;
  /**
   * What a successful task's result URL serves. 'tiny' (default): one 64×64 placeholder mp4 for
   * every task, so tests stay fast. 'ffmpeg': a few seconds rendered from the task's photo in the
   * order's orientation, moving as its template does (render.ts), started in the background when
   * the task is created; without an ffmpeg binary the sim says so once and serves the tiny mp4.
   */
  render?: 'tiny' | 'ffmpeg';
  /** Cache dir, concurrency, clip length of 'ffmpeg' renders; `waitMs` is how long the result URL waits for an unfinished render before serving the tiny mp4 (default 20 s). */
  renderOptions?: Omit<RendererOptions, 'warn'> & { waitMs?: number };
}

export interface KieSim {
  baseUrl: string;
  uploadBaseUrl: string;
  close(): Promise<void>;
  tasks(): KieSimTask[];
  uploads(): Array<{ key: string; fileName: string; sizeBytes: number; downloadUrl: string }>;
  setBehavior(b: Partial<KieBehavior>): void;
  // ---- extras ----
  /** Requests per key and endpoint (createTask, recordInfo, credit, upload), counted after the key is read. */
  requestCounts(): Record<string, Record<Endpoint, number>>;
  /** Every callback POST attempt and how it ended. */
  callbacks(): CallbackDelivery[];
  /** Sets an account's balance; a key stands for its account. */
  setCredits(accountOrKey: string, credits: number): void;
  /** An account's balance; a key stands for its account. */
  creditsOf(accountOrKey: string): number;
  /** Makes a model unknown (KIE's 422 "The model is not supported" on both families), and back. */
  withdrawModel(id: string): void;
  restoreModel(id: string): void;
  /** Ids of the models the sim serves now (withdrawn ones left out), with family and durations. */
  models(): Array<{ id: string; family: Family; durations: readonly number[] }>;
  /** Per-account counters: tasks created, the most created in any rate window, 429s, 402s, spent and left. */
  accountStats(): Record<string, AccountStats>;
  /** Per-key counters of 429 (rate window or running cap) and 433 (key cap) answers. */
  keyStats(): Record<string, { rateLimited: number; capped: number }>;
  /** The bytes every successful task's result URL serves (a small valid H.264 MP4) unless it has a render. */
  videoBytes: Uint8Array;
  /** ffmpeg runs, cache hits and failures of rendered results (all 0 with render 'tiny'). */
  renderStats(): RenderStats;
  /** The sim's state itself (behaviour, withdrawn models, counters), for the sandbox control panel. */
  core: KieCore;
}

/** A task as the sim recorded it, with the exact request body, for e2e assertions on request shapes. */
export interface KieSimTask extends Pick<Task, 'taskId' | 'family' | 'account' | 'key' | 'model' | 'prompt' | 'imageUrls' | 'callBackUrl' | 'cost'> {
  state: string;
  /** The body as received, parsed (Market: { model, callBackUrl?, input }; Veo: the generate body). */
  param: unknown;
  /** Market: body.input; Veo: the whole body. */
  input: Record<string, unknown>;
}

export const DEFAULT_KIE_BEHAVIOR: KieBehavior = {
  latencyMs: 3000,
  requestLatencyMs: 0,
  accountErrors: {},
  refusalMarker: 'FORBIDDEN',
  unfetchableImageMarker: 'UNFETCHABLE',
  refusalMode: 'task',
  rateLimit: { tasks: 20, windowMs: 10_000 },
  runningCap: 100,
  force429Next: 0,
  maintenanceNext: 0,
  failNext: 0,
  serverErrorRate: 0,
  taskFailNext: 0,
  taskFailRate: 0,
  refuseNext: 0,
  lostCallbackRate: 0,
  duplicateCallbacks: 0,
  duplicateCallbackRate: 0,
  recordNullMs: 0,
  errorsAsHttp200: false,
  refusalRate: 0,
  noCreditsRate: 0,
  rateLimitRate: 0,
  rates: {},
};

export async function startKieSim(opts: KieSimOptions = {}): Promise<KieSim> {
  const behavior: KieBehavior = {
    ...DEFAULT_KIE_BEHAVIOR,
    ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
    ...(opts.runningCap !== undefined ? { runningCap: opts.runningCap } : {}),
    ...opts.behavior,
  };
  // Each sim its own overrides map: the panel edits it in place.
  behavior.rates = { ...behavior.rates };
  const video = makeTinyMp4({ seconds: 3 }).bytes;
  let root = '';
  const core = new KieCore(behavior, {
    ...(opts.accounts ? { accounts: opts.accounts } : opts.keys ? { accounts: Object.fromEntries(opts.keys.map((k) => [k, [k]])) } : {}),
    ...(opts.keyCaps ? { keyCaps: opts.keyCaps } : {}),
    ...(opts.withdrawn ? { withdrawn: opts.withdrawn } : {}),
    ...(opts.hmacKey ? { hmacKey: opts.hmacKey } : {}),
    startingCredits: opts.credits ?? 10_000,
    resultUrl: (taskId) => `${root}/results/${taskId}.mp4`,
  });
  const uploads = new Map<string, Upload>();
  const app = baseApp({ name: 'kie-sim' });
  // KIE recommends stream upload for files above 10 MB; accept up to 100 MB like its URL upload.
  await app.register(multipart, { limits: { fileSize: 100 * 1024 * 1024 } });
  const renderer = opts.render === 'ffmpeg' ? createRenderer({ ...opts.renderOptions, warn: (msg) => app.log.warn(msg) }) : undefined;
  const renders = new Map<string, Promise<string | undefined>>();
  const waitMs = opts.renderOptions?.waitMs ?? 20_000;
  /** An image URL of the sim's own upload store (…/tempfile/<token>/<path>) as bytes; any other URL is not fetched. */
  const localImage = (url: string | undefined): Uint8Array | undefined => {
    try {
      const rest = new URL(url ?? '').pathname.match(/^\/tempfile\/(.+)$/)?.[1];
      return rest === undefined ? undefined : (uploads.get(decodeURIComponent(rest)) ?? uploads.get(rest))?.bytes;
    } catch {
      return undefined;
    }
  };
  const renderRequest = (task: Task): RenderRequest => {
    const image = localImage(task.imageUrls[0]);
    const fields = (task.family === 'market' ? task.body.input : task.body) as Record<string, unknown>;
    return {
      ...(image !== undefined ? { image } : {}),
      orientation: orientationOf(fields, image !== undefined ? imageSize(image) : undefined),
      template: templateOf(task.prompt),
      model: task.model,
    };
  };
  registerKieRoutes(app, core, {
    root: () => root,
    video,
    uploads,
    ...(renderer !== undefined
      ? {
          onTaskCreated: (task: Task) => {
            // Only tasks that will succeed have a result to render.
            if (task.outcome === 'success') renders.set(task.taskId, renderer.render(renderRequest(task)));
          },
          resultVideo: async (task: Task) => {
            const file = await within(renders.get(task.taskId), waitMs);
            return file === undefined ? video : readFile(file).catch(() => video);
          },
        }
      : {}),
  });
  root = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    baseUrl: root,
    uploadBaseUrl: root,
    videoBytes: video,
    renderStats: () => renderer?.stats() ?? { ffmpegRuns: 0, cacheHits: 0, failures: 0 },
    core,
    close: async () => {
      await renderer?.close();
      await core.close();
      await app.close();
    },
    tasks: () =>
      [...core.tasks.values()].map((t) => ({
        taskId: t.taskId,
        family: t.family,
        account: t.account,
        key: t.key,
        model: t.model,
        prompt: t.prompt,
        imageUrls: t.imageUrls,
        ...(t.callBackUrl !== undefined ? { callBackUrl: t.callBackUrl } : {}),
        state: stateAt(t, Date.now()).state,
        param: JSON.parse(t.param) as unknown,
        input: (t.family === 'market' ? (JSON.parse(t.param) as { input: Record<string, unknown> }).input : JSON.parse(t.param)) as Record<string, unknown>,
        cost: t.cost,
      })),
    uploads: () => [...uploads.values()].map((u) => ({ key: u.key, fileName: u.fileName, sizeBytes: u.bytes.length, downloadUrl: u.downloadUrl })),
    setBehavior: (b) => Object.assign(behavior, b),
    requestCounts: () => Object.fromEntries([...core.counts].map(([k, v]) => [k, { ...v }])),
    callbacks: () => [...core.callbacks],
    setCredits: (accountOrKey, credits) => core.accounts.setCredits(accountOrKey, credits),
    creditsOf: (accountOrKey) => core.accounts.creditsOf(accountOrKey),
    withdrawModel: (id) => void core.withdrawn.add(id),
    restoreModel: (id) => void core.withdrawn.delete(id),
    models: () => [...MODELS.values()].filter((m) => !core.withdrawn.has(m.id)).map((m) => ({ id: m.id, family: m.family, durations: m.durations })),
    accountStats: () => core.accounts.snapshot(),
    keyStats: () => {
      const keys = new Set([...core.accounts.keyRateLimited.keys(), ...core.accounts.keyCapped.keys()]);
      return Object.fromEntries([...keys].map((k) => [k, { rateLimited: core.accounts.keyRateLimited.get(k) ?? 0, capped: core.accounts.keyCapped.get(k) ?? 0 }]));
    },
  };
}

/** The promise's value, or undefined when it takes longer than `ms` (or there is none). */
async function within<T>(p: Promise<T | undefined> | undefined, ms: number): Promise<T | undefined> {
  if (p === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
