import { FormData, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { KieFailure } from '../domain/classify';
import type { CreateRequest, ModelFamily } from '../domain/models';

/** What one KIE call produced: a value, or a failure for `classify` to judge. */
export type KieResult<T> = { ok: true; value: T } | { ok: false; failure: KieFailure };

/** The request the catalogue built: its family picks the endpoint. */
export type CreateTaskInput = CreateRequest;

/** Every call takes an optional `signal`: aborting it ends the call like a timeout. */
export interface KieClient {
  upload(
    secret: string,
    file: { bytes: Uint8Array; fileName: string; mimeType: string; uploadPath: string },
    signal?: AbortSignal,
  ): Promise<KieResult<{ downloadUrl: string }>>;
  createTask(
    secret: string,
    body: CreateTaskInput,
    signal?: AbortSignal,
  ): Promise<KieResult<{ taskId: string }>>;
  /**
   * The task's record as KIE wrote it (`data`; read it with the catalogue's `readRecord`),
   * from the family's endpoint (Market recordInfo or Veo record-info); `null` while KIE has
   * no record yet (a young task).
   */
  recordInfo(
    secret: string,
    taskId: string,
    signal?: AbortSignal,
    family?: ModelFamily,
  ): Promise<KieResult<unknown>>;
  /** The account's remaining KIE credits (`GET /api/v1/chat/credit` → `{ code: 200, data: <credits> }`). */
  credit(secret: string, signal?: AbortSignal): Promise<KieResult<number>>;
}

/** The `endpoint` label of the KIE metrics: Veo's generate call is `veo`, its record-info `recordInfo`. */
export type KieEndpoint = 'createTask' | 'recordInfo' | 'upload' | 'credits' | 'veo';

/**
 * Told of every call once it ends: `code` is KIE's body code when it gave one, else the HTTP
 * status; `network` when no answer came (refused, reset, timed out).
 */
export type KieCallObserver = (endpoint: KieEndpoint, code: string, seconds: number) => void;

export interface KieClientOptions {
  baseUrl: string;
  uploadBaseUrl: string;
  /** Per request; a timeout is a transient failure. */
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  observe?: KieCallObserver;
}

const envelope = z.looseObject({ code: z.number().nullish(), msg: z.string().nullish(), data: z.unknown() });
const uploadData = z.looseObject({ downloadUrl: z.url() });
const createData = z.looseObject({ taskId: z.string().min(1) });

/**
 * KIE Market API over undici (docs/design.md §4). Auth is `Bearer <key>`; the key never appears in
 * a URL, a log line or an error message. Every answer is read for both the HTTP status and
 * the body `code`, because KIE reports many errors as HTTP 200 with an error code inside.
 */
export function createKieClient(opts: KieClientOptions): KieClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function call<T>(
    endpoint: KieEndpoint,
    url: string,
    init: Parameters<typeof send>[1],
    read: (data: unknown) => T | undefined,
  ): Promise<KieResult<T>> {
    const started = performance.now();
    const [res, code] = await send(url, init, read);
    opts.observe?.(endpoint, code, (performance.now() - started) / 1000);
    return res;
  }

  /** The call's result, and what KIE answered (its body code, else the HTTP status, else `network`). */
  async function send<T>(
    url: string,
    init: {
      method: 'GET' | 'POST';
      secret: string;
      body?: string | FormData;
      json?: boolean;
      signal?: AbortSignal | undefined;
    },
    read: (data: unknown) => T | undefined,
  ): Promise<[KieResult<T>, string]> {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: init.method,
        headers: {
          authorization: `Bearer ${init.secret}`,
          accept: 'application/json',
          ...(init.json ? { 'content-type': 'application/json' } : {}),
        },
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: init.signal
          ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
          : AbortSignal.timeout(timeoutMs),
        ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError' || e.name === 'AbortError')
        return [fail({ kind: 'timeout', message: `${init.method} ${path(url)} timed out` }), 'network'];
      return [fail({ kind: 'network', message: `${init.method} ${path(url)}: ${e.message}` }), 'network'];
    }
    let text = '';
    try {
      text = await res.body.text();
    } catch (err) {
      return [fail({ kind: 'network', message: `reading ${path(url)}: ${(err as Error).message}` }), 'network'];
    }
    const body = envelope.safeParse(safeJson(text));
    const code = body.success ? (body.data.code ?? null) : null;
    const answered = codeLabel(code ?? res.statusCode);
    const msg = (body.success ? body.data.msg : null) ?? text.slice(0, 300);
    if (res.statusCode !== 200 || (code !== null && code !== 200)) {
      const failure = fail({
        kind: 'http',
        status: res.statusCode,
        code,
        message: msg || `HTTP ${res.statusCode}`,
        retryAfterMs: retryAfterMs(res.headers['retry-after']),
      });
      return [failure, answered];
    }
    const value = body.success ? read(body.data.data) : undefined;
    if (value === undefined) {
      // 200 without the data we need: KIE misbehaved; worth another try.
      return [fail({ kind: 'http', status: 500, code: null, message: `unexpected answer from ${path(url)}` }), answered];
    }
    return [{ ok: true, value }, answered];
  }

  return {
    upload(secret, file, signal) {
      const form = new FormData();
      form.append('file', new Blob([file.bytes], { type: file.mimeType }), file.fileName);
      form.append('uploadPath', file.uploadPath);
      form.append('fileName', file.fileName);
      return call(
        'upload',
        `${opts.uploadBaseUrl}/api/file-stream-upload`,
        { method: 'POST', secret, body: form, signal },
        (data) => {
          const d = uploadData.safeParse(data);
          return d.success ? { downloadUrl: d.data.downloadUrl } : undefined;
        },
      );
    },
    createTask(secret, req, signal) {
      // Market: https://docs.kie.ai/market/quickstart; Veo: https://docs.kie.ai/veo3-api/generate-veo-3-video.
      const path = req.family === 'veo' ? '/api/v1/veo/generate' : '/api/v1/jobs/createTask';
      return call(
        req.family === 'veo' ? 'veo' : 'createTask',
        `${opts.baseUrl}${path}`,
        { method: 'POST', secret, body: JSON.stringify(req.body), json: true, signal },
        (data) => {
          const d = createData.safeParse(data);
          return d.success ? { taskId: d.data.taskId } : undefined;
        },
      );
    },
    recordInfo(secret, taskId, signal, family = 'market') {
      const path = family === 'veo' ? '/api/v1/veo/record-info' : '/api/v1/jobs/recordInfo';
      const url = `${opts.baseUrl}${path}?taskId=${encodeURIComponent(taskId)}`;
      return call('recordInfo', url, { method: 'GET', secret, signal }, (data) =>
        // A record is an object; null/absent while the task is young.
        data === null || data === undefined ? null : typeof data === 'object' ? data : undefined,
      );
    },
    credit(secret, signal) {
      // https://docs.kie.ai/common-api/get-account-credits
      return call('credits', `${opts.baseUrl}/api/v1/chat/credit`, { method: 'GET', secret, signal }, (data) => {
        const n = typeof data === 'number' ? data : typeof data === 'string' ? Number(data) : NaN;
        return Number.isFinite(n) ? n : undefined;
      });
    },
  };
}

/** A code as a label value: three digits, or `other` (an odd body code must not grow the series). */
const codeLabel = (n: number): string => (Number.isInteger(n) && n >= 100 && n <= 999 ? String(n) : 'other');

const fail = (failure: KieFailure): { ok: false; failure: KieFailure } => ({ ok: false, failure });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Path only: query strings may carry task ids, never worth logging; hosts are config. */
function path(url: string): string {
  return new URL(url).pathname;
}

/** `Retry-After` as seconds or an HTTP date. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(header) ? header[0] : header;
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
