import { randomBytes } from 'node:crypto';
import { createEvent, deterministicId } from '@neurocards/contracts';
import { enqueue, transaction, type Logger, type Sql } from '@neurocards/platform';
import type { ApiKey } from '../config';
import type { KeyPool } from '../adapters/key-pool';
import type { KieClient } from '../adapters/kie-client';
import type { PhotoStore } from '../adapters/photo-store';
import {
  cachedUpload,
  claimForSubmit,
  inFlightByKey,
  markCreateSent,
  markRunning,
  recoverLostSubmits,
  releaseClaim,
  saveUpload,
  type TaskRow,
} from '../adapters/tasks-repo';
import { capacity, rankKeys, type SubmitRate } from '../domain/keys';
import { nextPollDelayMs } from '../domain/poll-schedule';
import type { Outcomes } from './outcomes';

export interface SubmitterDeps {
  sql: Sql;
  pool: KeyPool;
  kie: KieClient;
  photos: PhotoStore;
  outcomes: Outcomes;
  keys: readonly ApiKey[];
  clock: () => number;
  log: Logger;
  model: string;
  callbackBaseUrl: string;
  deadlineMs: number;
  rate: SubmitRate;
  maxInFlight: number;
  /** Submissions in flight per tick (uploads + createTask). */
  concurrency?: number;
  /** How long a claimed row belongs to this replica before another may take it. */
  leaseMs?: number;
}

/** KIE keeps uploads 3 days (some docs say 24 h); reuse one for at most half a day. */
const UPLOAD_REUSE_MS = 12 * 3600 * 1000;

/**
 * One submission tick: claim due rows (as many as the keys can take now), then for each
 * pick a key with capacity (revision-checked slot in KV), upload the photo once, and
 * createTask. When no key can take work, rows stay queued: they are never failed for it.
 * Returns true when it did something (the loop runs again at once).
 */
export function createSubmitter(d: SubmitterDeps): { tick(): Promise<boolean> } {
  const log = d.log.child({ module: 'submitter' });
  const concurrency = d.concurrency ?? 8;
  const leaseMs = d.leaseMs ?? 120_000;
  const secrets = new Map(d.keys.map((k) => [k.name, k.secret]));

  async function photoUrl(row: TaskRow, keyName: string): Promise<{ ok: true; url: string } | { ok: false }> {
    const now = d.clock();
    const cached = await cachedUpload(d.sql, row.photo.objectKey, new Date(now - UPLOAD_REUSE_MS));
    if (cached) return { ok: true, url: cached };
    const bytes = await d.photos.get(row.photo.objectKey);
    if (!bytes) {
      await fail(row, keyName, {
        kind: 'network',
        message: `photo ${row.photo.objectKey} not found in the photos bucket`,
      });
      return { ok: false };
    }
    const ext = row.photo.mimeType.split('/')[1] ?? 'jpg';
    const res = await d.kie.upload(secrets.get(keyName)!, {
      bytes,
      mimeType: row.photo.mimeType,
      // One name per photo: a re-upload overwrites instead of piling up.
      fileName: `${row.photo.objectKey.replace(/[^A-Za-z0-9_-]/g, '_')}.${ext}`,
      uploadPath: 'neurocards/photos',
    });
    if (!res.ok) {
      await fail(row, keyName, res.failure);
      return { ok: false };
    }
    await saveUpload(d.sql, {
      objectKey: row.photo.objectKey,
      downloadUrl: res.value.downloadUrl,
      keyName,
      now: new Date(d.clock()),
    });
    return { ok: true, url: res.value.downloadUrl };
  }

  const fail = (row: TaskRow, keyName: string | null, failure: Parameters<Outcomes['fail']>[1]) =>
    d.outcomes.fail(
      { jobId: row.jobId, attempt: row.attempt, taskId: null, keyName, states: ['submitting', 'running'] },
      failure,
    );

  async function submit(row: TaskRow, ranked: string[]): Promise<boolean> {
    const jobLog = log.child({ jobId: row.jobId, orderId: row.orderId, attempt: row.attempt });
    let keyName: string | null = null;
    for (const name of ranked) {
      if (await d.pool.tryTake(name, d.clock())) {
        keyName = name;
        break;
      }
    }
    if (!keyName) {
      // Every key is blocked, cooling or full right now: wait in the queue.
      await releaseClaim(d.sql, row.jobId, row.attempt, new Date(d.clock()));
      return false;
    }
    const photo = await photoUrl(row, keyName);
    if (!photo.ok) return true;

    const token = randomBytes(24).toString('base64url');
    const sentAt = d.clock();
    const marked = await markCreateSent(d.sql, {
      jobId: row.jobId,
      attempt: row.attempt,
      keyName,
      token,
      now: new Date(sentAt),
      deadlineAt: new Date(sentAt + d.deadlineMs),
    });
    if (!marked) return true;
    const res = await d.kie.createTask(secrets.get(keyName)!, {
      model: d.model,
      callBackUrl: `${d.callbackBaseUrl}/kie/callback/${token}`,
      input: {
        prompt: row.prompt,
        image_urls: [photo.url],
        aspect_ratio: row.aspectRatio,
        n_frames: row.nFrames,
        remove_watermark: true,
      },
    });
    if (!res.ok) {
      await fail(row, keyName, res.failure);
      return true;
    }
    const now = d.clock();
    const taskId = res.value.taskId;
    const stored = await transaction(d.sql, async (tx) => {
      const ok = await markRunning(tx, {
        jobId: row.jobId,
        attempt: row.attempt,
        token,
        taskId,
        now: new Date(now),
        nextPollAt: new Date(now + nextPollDelayMs(0)),
      });
      if (ok) {
        await enqueue(
          tx,
          createEvent({
            subject: 'kie.task.submitted.v1',
            id: deterministicId('kie.task.submitted.v1', row.jobId, row.attempt),
            correlationId: row.orderId,
            causationId: row.submitEventId,
            data: { orderId: row.orderId, jobId: row.jobId, attempt: row.attempt, taskId, keyName },
          }),
        );
      }
      return ok;
    });
    if (stored) jobLog.info({ keyName, taskId }, 'task submitted to KIE');
    else jobLog.warn({ keyName, taskId }, 'createTask answered after the attempt moved on; task left alone');
    return true;
  }

  return {
    async tick() {
      const now = d.clock();
      const recovered = await recoverLostSubmits(d.sql, new Date(now));
      if (recovered > 0)
        log.warn(
          { count: recovered },
          'submit leases expired after createTask was sent; waiting for callbacks or the deadline',
        );
      const [snapshot, inFlight] = await Promise.all([d.pool.snapshot(), inFlightByKey(d.sql)]);
      const candidates = snapshot.map((k) => ({ ...k, inFlight: inFlight.get(k.name) ?? 0 }));
      const room = candidates.reduce(
        (sum, k) => sum + capacity(k.state, k.inFlight, d.maxInFlight, now, d.rate),
        0,
      );
      if (room === 0) return false;
      // Claim up to `concurrency` even when `room` is smaller: a row whose only free key it
      // must not use (failover) is released and does not hold the others back.
      const rows = await claimForSubmit(d.sql, { now: new Date(now), limit: concurrency, leaseMs });
      if (rows.length === 0) return false;
      const took = await Promise.all(
        rows.map((row) =>
          submit(
            row,
            rankKeys(candidates, {
              now,
              rate: d.rate,
              maxInFlight: d.maxInFlight,
              exclude: row.excludedKeys,
            }),
          ).catch((err) => {
            // The lease returns the row to the queue (or to recovery) if this was mid-way.
            log.error({ err, jobId: row.jobId, orderId: row.orderId }, 'submission failed unexpectedly');
            return false;
          }),
        ),
      );
      // Run again at once only if work moved; otherwise wait for the next interval.
      return took.some(Boolean);
    },
  };
}
