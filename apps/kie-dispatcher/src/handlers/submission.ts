import { randomBytes } from 'node:crypto';
import { enqueue, transaction, type Logger, type Sql } from '@neurocards/platform';
import type { KeyPool } from '../adapters/key-pool';
import type { KieClient } from '../adapters/kie-client';
import type { ModelStore } from '../adapters/model-store';
import type { PhotoStore } from '../adapters/photo-store';
import { runnableOn } from '../domain/availability';
import { submittedEvent } from '../domain/events';
import { buildRequest, CATALOGUE, resolveDuration, type CreateRequest } from '../domain/models';
import {
  cachedUpload,
  inFlightByKey,
  inFlightOf,
  markCreateSent,
  markRunning,
  releaseClaim,
  saveUpload,
  type TaskRow,
} from '../adapters/tasks-repo';
import type { KieFailure } from '../domain/classify';
import { rankAccountKeys, type SubmitRate } from '../domain/keys';
import { nextPollDelayMs } from '../domain/poll-schedule';
import { ABANDONED, withGrace } from './grace';
import type { Outcomes } from './outcomes';

export interface SubmissionDeps {
  sql: Sql;
  pool: KeyPool;
  kie: KieClient;
  photos: PhotoStore;
  outcomes: Outcomes;
  secrets: ReadonlyMap<string, string>;
  clock: () => number;
  log: Logger;
  models: ModelStore;
  /** The default model (first of KIE_MODELS): rows from before the catalogue run as it. */
  defaultModel: string;
  callbackBaseUrl: string;
  deadlineMs: number;
  rate: SubmitRate;
  maxInFlight: number;
  /** Unanswered createTask calls per key. */
  parallel: number;
  /** When no key has a slot after the upload, the row is claimed again this much later. */
  retryMs: number;
  /** Stopping: how long to wait for a createTask already sent. */
  graceMs: number;
}

/** KIE keeps uploads 3 days (some docs say 24 h); reuse one for at most half a day. */
const UPLOAD_REUSE_MS = 12 * 3600 * 1000;

/** Waiting for a key's unanswered calls: at most this long before the row is queued again. */
const BUSY_WAIT_MS = 50;
const MAX_BUSY_WAITS = 100;

type Fetched = { ok: true; url: string } | { ok: false; failure: KieFailure };

/**
 * One claimed row's way to KIE: upload the photo (uploads do not count against the
 * createTask limit; cached), then — right before createTask — take a slot of a key (rate
 * window, parallel calls, in-flight limit, blocked or cooling: all checked in the take),
 * createTask, and store the answer. No slot: back to the queue for a moment.
 */
export function createSubmission(d: SubmissionDeps) {
  const log = d.log.child({ module: 'submitter' });
  const fetching = new Map<string, Promise<Fetched>>();

  const fail = (row: TaskRow, keyName: string | null, failure: Parameters<Outcomes['fail']>[1]) =>
    d.outcomes.fail(
      { jobId: row.jobId, attempt: row.attempt, taskId: null, keyName, states: ['submitting', 'running'] },
      failure,
    );
  const putBack = (row: TaskRow, afterMs = 0) => {
    const now = d.clock();
    return releaseClaim(d.sql, row.jobId, row.attempt, new Date(now), new Date(now + afterMs));
  };

  /** The photo's KIE URL: a recent upload, or a new one (saved for the next rows). */
  async function fetchUrl(row: TaskRow, keyName: string, signal: AbortSignal): Promise<Fetched> {
    const cached = await cachedUpload(d.sql, row.photo.objectKey, new Date(d.clock() - UPLOAD_REUSE_MS));
    if (cached) return { ok: true, url: cached };
    const bytes = await d.photos.get(row.photo.objectKey);
    if (!bytes)
      return {
        ok: false,
        failure: { kind: 'network', message: `photo ${row.photo.objectKey} not found in the photos bucket` },
      };
    const ext = row.photo.mimeType.split('/')[1] ?? 'jpg';
    const res = await d.kie.upload(
      d.secrets.get(keyName)!,
      {
        bytes,
        mimeType: row.photo.mimeType,
        // One name per photo: a re-upload overwrites instead of piling up.
        fileName: `${row.photo.objectKey.replace(/[^A-Za-z0-9_-]/g, '_')}.${ext}`,
        uploadPath: 'neurocards/photos',
      },
      signal,
    );
    if (!res.ok) return res;
    const now = new Date(d.clock());
    await saveUpload(d.sql, {
      objectKey: row.photo.objectKey,
      downloadUrl: res.value.downloadUrl,
      keyName,
      now,
    });
    return { ok: true, url: res.value.downloadUrl };
  }

  /** Rows of one photo (one order, N videos) in hand together share one look-up and upload. */
  async function photoUrl(row: TaskRow, keyName: string, signal: AbortSignal): Promise<string | null> {
    const key = row.photo.objectKey;
    let shared = fetching.get(key);
    if (!shared) {
      shared = fetchUrl(row, keyName, signal);
      fetching.set(key, shared);
      void shared.finally(() => fetching.delete(key)).catch(() => undefined);
    }
    const res = await shared;
    if (signal.aborted) return null;
    if (!res.ok) {
      await fail(row, keyName, res.failure);
      return null;
    }
    return res.url;
  }

  /**
   * The best key with a free slot now (on an account where the row's model runs), its slot
   * taken under `id`. When a key would take the row but for its unanswered calls, waits a
   * moment (they are answered within seconds) instead of queueing the row again. Null when
   * no key has a slot (or the replica stops).
   */
  async function take(row: TaskRow, model: string, id: string, signal: AbortSignal): Promise<string | null> {
    const runnable = new Set(runnableOn(await d.models.read(), model, d.pool.accounts));
    for (let i = 0; i < MAX_BUSY_WAITS && !signal.aborted; i++) {
      const now = d.clock();
      const candidates = await accountCandidates(d.sql, d.pool);
      const opts = {
        now,
        rate: d.rate,
        maxInFlight: d.maxInFlight,
        exclude: row.excludedKeys,
        allowAccount: (a: string) => runnable.has(a),
      };
      for (const name of rankAccountKeys(candidates, { ...opts, parallel: d.parallel })) {
        const keys = d.pool.keysOf(d.pool.accountOf(name)!);
        if (await d.pool.tryTake(name, d.clock(), { id, inFlight: () => inFlightOf(d.sql, keys) }))
          return name;
      }
      if (rankAccountKeys(candidates, opts).length === 0) return null;
      await new Promise((r) => setTimeout(r, BUSY_WAIT_MS));
    }
    return null;
  }

  /** The row's model and request, or the reason it cannot run (configuration). */
  function requestFor(
    row: TaskRow,
    photo: string,
    token: string,
  ): { model: string; req: CreateRequest } | { error: string } {
    const model = row.model ?? d.defaultModel;
    const entry = CATALOGUE.get(model);
    if (!entry) return { error: `model "${model}" is not in the catalogue` };
    const duration = resolveDuration(entry, row.duration ?? (row.nFrames ? Number(row.nFrames) : null));
    const req = buildRequest(model, {
      prompt: row.prompt,
      imageUrl: photo,
      aspectRatio: row.aspectRatio,
      duration,
      callBackUrl: `${d.callbackBaseUrl}/kie/callback/${token}`,
    });
    return { model, req };
  }

  async function stored(row: TaskRow, keyName: string, token: string, taskId: string): Promise<boolean> {
    const now = d.clock();
    return transaction(d.sql, async (tx) => {
      const ok = await markRunning(tx, {
        jobId: row.jobId,
        attempt: row.attempt,
        token,
        taskId,
        now: new Date(now),
        nextPollAt: new Date(now + nextPollDelayMs(0)),
      });
      if (ok) await enqueue(tx, submittedEvent(row, row.attempt, taskId, keyName));
      return ok;
    });
  }

  /** Submits a claimed row; `uploadKey` is the key the photo goes up with, if it must. */
  async function submit(row: TaskRow, uploadKey: string, signal: AbortSignal): Promise<void> {
    const jobLog = log.child({ jobId: row.jobId, orderId: row.orderId, attempt: row.attempt });
    if (signal.aborted) return putBack(row);
    // KIE refused the model on every account (configuration): the video fails now with
    // `config`, before its photo is uploaded; other models go on.
    const model = row.model ?? d.defaultModel;
    if (CATALOGUE.has(model) && runnableOn(await d.models.read(), model, d.pool.accounts).length === 0) {
      await fail(row, null, {
        kind: 'http',
        status: 422,
        code: 422,
        message: `model ${model} is unavailable on every KIE account`,
      });
      return;
    }
    const photo = await photoUrl(row, uploadKey, signal);
    if (signal.aborted) return putBack(row);
    if (photo === null) return;

    const token = randomBytes(24).toString('base64url');
    const built = requestFor(row, photo, token);
    if ('error' in built) {
      await fail(row, null, { kind: 'http', status: 422, code: 422, message: built.error });
      return;
    }
    const keyName = await take(row, built.model, token, signal);
    if (!keyName) return putBack(row, d.retryMs); // every key blocked, cooling or full right now
    let answeredAt: number | null = null;
    let abandoned = false;
    try {
      if (signal.aborted) return await putBack(row);
      const sentAt = d.clock();
      const marked = await markCreateSent(d.sql, {
        jobId: row.jobId,
        attempt: row.attempt,
        keyName,
        token,
        now: new Date(sentAt),
        deadlineAt: new Date(sentAt + d.deadlineMs),
      });
      // Cancelled meanwhile, or the lease ran out and another replica has the row.
      if (!marked) return;
      const call = d.kie.createTask(d.secrets.get(keyName)!, built.req);
      const res = await withGrace(call, signal, d.graceMs);
      if (res === ABANDONED) {
        // The row keeps its lease: the next start recovers it (callback adoption or deadline).
        abandoned = true;
        jobLog.warn({ keyName }, 'stopping with createTask unanswered; the next start resumes the row');
        return;
      }
      answeredAt = d.clock();
      if (!res.ok) {
        await fail(row, keyName, res.failure);
        return;
      }
      const taskId = res.value.taskId;
      if (await stored(row, keyName, token, taskId))
        jobLog.info({ keyName, taskId }, 'task submitted to KIE');
      else
        jobLog.warn({ keyName, taskId }, 'createTask answered after the attempt moved on; task left alone');
    } finally {
      // An abandoned call keeps its slot until the slot expires: it may still reach KIE.
      if (!abandoned) await d.pool.release(keyName, token, answeredAt);
    }
  }

  return { submit, putBack };
}

/** Every account's entry with its tasks in flight (Postgres), for ranking keys. */
export async function accountCandidates(sql: Sql, pool: KeyPool) {
  const [snapshot, inFlight] = await Promise.all([pool.snapshot(), inFlightByKey(sql)]);
  return snapshot.map((a) => ({
    account: a.name,
    state: a.state,
    keys: a.keys,
    inFlight: a.keys.reduce((n, k) => n + (inFlight.get(k) ?? 0), 0),
  }));
}
