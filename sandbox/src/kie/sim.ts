import multipart from '@fastify/multipart';
import { baseApp } from '../shared/app.js';
import { listen } from '../shared/http.js';
import { makeTinyMp4 } from '../shared/mp4.js';
import type { CallbackDelivery } from './callbacks.js';
import { KieCore } from './core.js';
import type { Endpoint } from './core.js';
import { registerKieRoutes } from './routes.js';
import type { Upload } from './routes.js';
import { stateAt } from './tasks.js';
import type { KieBehavior } from './types.js';

export interface KieSimOptions {
  port?: number;
  host?: string;
  /** Accepted keys; by default any non-empty key is accepted. */
  keys?: string[];
  /** When set, callbacks carry X-Webhook-Timestamp and X-Webhook-Signature. */
  hmacKey?: string;
  /** Time a task takes (default 3 s). */
  latencyMs?: number;
  /** Starting credits of every key (default 10,000). */
  credits?: number;
  behavior?: Partial<KieBehavior>;
}

export interface KieSim {
  baseUrl: string;
  uploadBaseUrl: string;
  close(): Promise<void>;
  tasks(): Array<{ taskId: string; key: string; model: string; prompt: string; imageUrls: string[]; callBackUrl?: string; state: string; param: unknown }>;
  uploads(): Array<{ key: string; fileName: string; sizeBytes: number; downloadUrl: string }>;
  setBehavior(b: Partial<KieBehavior>): void;
  // ---- extras ----
  /** Requests per key and endpoint (createTask, recordInfo, credit, upload), counted after the key is read. */
  requestCounts(): Record<string, Record<Endpoint, number>>;
  /** Every callback POST attempt and how it ended. */
  callbacks(): CallbackDelivery[];
  setCredits(key: string, credits: number): void;
  /** The bytes every successful task's result URL serves (a small valid H.264 MP4). */
  videoBytes: Uint8Array;
}

export const DEFAULT_KIE_BEHAVIOR: KieBehavior = {
  latencyMs: 3000,
  requestLatencyMs: 0,
  accountErrors: {},
  refusalMarker: 'FORBIDDEN',
  refusalMode: 'task',
  rateLimit: { tasks: 20, windowMs: 10_000 },
  force429Next: 0,
  maintenanceNext: 0,
  failNext: 0,
  serverErrorRate: 0,
  taskFailNext: 0,
  taskFailRate: 0,
  lostCallbackRate: 0,
  duplicateCallbacks: 0,
  duplicateCallbackRate: 0,
  recordNullMs: 0,
  errorsAsHttp200: false,
  taskCost: 30,
};

export async function startKieSim(opts: KieSimOptions = {}): Promise<KieSim> {
  const behavior: KieBehavior = {
    ...DEFAULT_KIE_BEHAVIOR,
    ...(opts.latencyMs !== undefined ? { latencyMs: opts.latencyMs } : {}),
    ...opts.behavior,
  };
  const video = makeTinyMp4({ seconds: 3 }).bytes;
  let root = '';
  const core = new KieCore(behavior, {
    ...(opts.keys ? { keys: opts.keys } : {}),
    ...(opts.hmacKey ? { hmacKey: opts.hmacKey } : {}),
    startingCredits: opts.credits ?? 10_000,
    resultUrl: (taskId) => `${root}/results/${taskId}.mp4`,
  });
  const uploads = new Map<string, Upload>();
  const app = baseApp();
  // KIE recommends stream upload for files above 10 MB; accept up to 100 MB like its URL upload.
  await app.register(multipart, { limits: { fileSize: 100 * 1024 * 1024 } });
  registerKieRoutes(app, core, { root: () => root, video, uploads });
  root = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    baseUrl: root,
    uploadBaseUrl: root,
    videoBytes: video,
    close: async () => {
      await core.close();
      await app.close();
    },
    tasks: () =>
      [...core.tasks.values()].map((t) => ({
        taskId: t.taskId,
        key: t.key,
        model: t.model,
        prompt: t.prompt,
        imageUrls: t.imageUrls,
        ...(t.callBackUrl !== undefined ? { callBackUrl: t.callBackUrl } : {}),
        state: stateAt(t, Date.now()).state,
        param: JSON.parse(t.param) as unknown,
      })),
    uploads: () => [...uploads.values()].map((u) => ({ key: u.key, fileName: u.fileName, sizeBytes: u.bytes.length, downloadUrl: u.downloadUrl })),
    setBehavior: (b) => Object.assign(behavior, b),
    requestCounts: () => Object.fromEntries([...core.counts].map(([k, v]) => [k, { ...v }])),
    callbacks: () => [...core.callbacks],
    setCredits: (key, credits) => core.setCredits(key, credits),
  };
}
