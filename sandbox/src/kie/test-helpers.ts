import Fastify from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { listen } from '../shared/http.js';
import type { KieSim } from './sim.js';

export const IMAGE_URL = 'https://files.example/product.jpg';

export function taskBody(overrides: { prompt?: string; callBackUrl?: string; input?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    model: 'sora-2-image-to-video',
    ...(overrides.callBackUrl ? { callBackUrl: overrides.callBackUrl } : {}),
    input: {
      prompt: overrides.prompt ?? 'A hand holds a ceramic mug, slow dolly-in, warm light',
      image_urls: [IMAGE_URL],
      aspect_ratio: 'portrait',
      n_frames: '10',
      remove_watermark: true,
      ...overrides.input,
    },
  };
}

export interface KieAnswer<T = unknown> {
  status: number;
  body: { code: number; msg: string; data: T };
}

export async function kie<T = unknown>(sim: KieSim, method: 'GET' | 'POST', path: string, key: string | undefined, body?: unknown): Promise<KieAnswer<T>> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as KieAnswer<T>['body'] };
}

export const createTask = (sim: KieSim, key: string, body: unknown = taskBody()): Promise<KieAnswer<{ taskId: string } | null>> =>
  kie<{ taskId: string } | null>(sim, 'POST', '/api/v1/jobs/createTask', key, body);

export interface ReceivedCallback<T> {
  headers: IncomingHttpHeaders;
  body: { code: number; msg: string; data: T };
}

/** A local HTTP endpoint that records every KIE callback POSTed to it, so tests can assert what the sim sent. */
export interface CallbackHook<T> {
  url: string;
  received: Array<ReceivedCallback<T>>;
  close(): Promise<void>;
}

export async function startCallbackHook<T>(token: string): Promise<CallbackHook<T>> {
  const received: Array<ReceivedCallback<T>> = [];
  const app = Fastify();
  app.post('/kie/callback/:token', async (req) => {
    received.push({ headers: req.headers, body: req.body as ReceivedCallback<T>['body'] });
    return { ok: true };
  });
  const url = `${await listen(app)}/kie/callback/${token}`;
  return { url, received, close: () => app.close() };
}
