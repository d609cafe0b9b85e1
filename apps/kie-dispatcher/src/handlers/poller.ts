import type { Logger, Sql } from '@neurocards/platform';
import type { ApiKey } from '../config';
import type { KeyPool } from '../adapters/key-pool';
import type { KieClient } from '../adapters/kie-client';
import { claimPolls, overdue, schedulePoll, type TaskRow } from '../adapters/tasks-repo';
import { classify } from '../domain/classify';
import { keyHealth } from '../domain/keys';
import { CATALOGUE, readRecord, type ModelFamily } from '../domain/models';
import { nextPollDelayMs, withJitter } from '../domain/poll-schedule';
import type { Outcomes } from './outcomes';

export interface PollerDeps {
  sql: Sql;
  kie: KieClient;
  pool: KeyPool;
  outcomes: Outcomes;
  keys: readonly ApiKey[];
  /** Rows from before the catalogue run as this model. */
  defaultModel: string;
  clock: () => number;
  log: Logger;
  /** Rows polled per tick. */
  batch?: number;
}

/** A blocked key's tasks are looked at again this often (no KIE call) until it is unblocked. */
const BLOCKED_RECHECK_MS = 60_000;
/** A row that found its key's poll budget spent asks again this much later. */
const NO_BUDGET_MS = 1000;
/** recordInfo calls of one key in the air at once, per replica. */
const LANES = 4;

/**
 * Safety net for lost callbacks, and the attempt deadline. Asks KIE about running tasks
 * whose next poll is due, with the key that created them, within the key's poll budget
 * (shared by all replicas through KV), and ends attempts that ran past GENERATION_DEADLINE
 * (a transient failure; `expired` on the last attempt). A key blocked for billing is not
 * polled with until it is unblocked; its tasks keep running (callback or deadline end them).
 */
export function createPoller(d: PollerDeps): { tick(signal?: AbortSignal): Promise<boolean> } {
  const log = d.log.child({ module: 'poller' });
  const batch = d.batch ?? 50;
  const secrets = new Map(d.keys.map((k) => [k.name, k.secret]));

  async function expire(row: TaskRow): Promise<void> {
    const applied = await d.outcomes.fail(
      { jobId: row.jobId, attempt: row.attempt, taskId: row.taskId, keyName: null, states: ['running'] },
      { kind: 'deadline', message: `no result within the generation deadline (attempt ${row.attempt})` },
    );
    if (applied)
      log.warn(
        { jobId: row.jobId, orderId: row.orderId, attempt: row.attempt, keyName: row.keyName },
        'attempt passed its deadline',
      );
  }

  const ageOf = (row: TaskRow, now: number) => now - (row.submittedAt?.getTime() ?? now);
  const later = (row: TaskRow, now: number, ms: number) =>
    schedulePoll(d.sql, row.jobId, row.attempt, new Date(now + withJitter(ms)));

  /** Polls one key's due rows; a billing answer stops the rest of them. */
  async function pollKey(keyName: string | null, rows: TaskRow[], now: number, signal?: AbortSignal) {
    const secret = keyName ? secrets.get(keyName) : undefined;
    // The key left the configuration: only the callback or the deadline can end these attempts.
    if (!keyName || !secret)
      return Promise.all(rows.map((r) => later(r, now, nextPollDelayMs(ageOf(r, now)))));
    const account = (await d.pool.snapshot()).find((a) => a.keys.includes(keyName));
    const h = account ? keyHealth(account.state, keyName, now) : { state: 'ok', until: null };
    if (h.state === 'blocked')
      return Promise.all(
        rows.map((r) => later(r, now, Math.min(BLOCKED_RECHECK_MS, (h.until ?? now) - now))),
      );
    const granted = await d.pool.takePollTokens(keyName, rows.length, now);
    await Promise.all(rows.slice(granted).map((r) => later(r, now, NO_BUDGET_MS)));
    // A few calls at a time, so a billing answer stops the rest before they go out.
    const queue = rows.slice(0, granted);
    let blocked = false;
    const lane = async () => {
      for (let row = queue.shift(); row; row = queue.shift()) {
        if (signal?.aborted) return; // the poll lease brings these rows back
        if (blocked) await later(row, now, BLOCKED_RECHECK_MS);
        else if (await poll(row, secret, now, signal)) blocked = true;
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
  }

  /** Asks KIE about one task; true when the answer blocked the key. */
  async function poll(row: TaskRow, secret: string, now: number, signal?: AbortSignal): Promise<boolean> {
    // Each family has its own record endpoint and shape (the catalogue reads both).
    const family: ModelFamily = CATALOGUE.get(row.model ?? d.defaultModel)?.family ?? 'market';
    const res = await d.kie.recordInfo(secret, row.taskId!, signal, family);
    if (signal?.aborted) return false;
    if (!res.ok) {
      if (classify(res.failure).class === 'billing') {
        // An account error: block the key exactly like createTask would, and stop polling with it.
        await d.outcomes.blockKey(row.keyName!, res.failure);
        await later(row, now, BLOCKED_RECHECK_MS);
        return true;
      }
      // A failing poll says nothing about the task; ask again later (the deadline bounds it).
      log.warn({ jobId: row.jobId, keyName: row.keyName, failure: res.failure }, 'recordInfo failed');
      await later(row, now, nextPollDelayMs(ageOf(row, now)));
      return false;
    }
    const outcome = readRecord(family, res.value);
    const ref = { jobId: row.jobId, attempt: row.attempt, taskId: row.taskId! };
    if (outcome.kind === 'pending') await later(row, now, nextPollDelayMs(ageOf(row, now)));
    else if (outcome.kind === 'success') await d.outcomes.succeed(ref, outcome.urls);
    else await d.outcomes.fail({ ...ref, keyName: row.keyName, states: ['running'] }, outcome.failure);
    return false;
  }

  return {
    async tick(signal) {
      const now = d.clock();
      const late = await overdue(d.sql, new Date(now), batch);
      for (const row of late) await expire(row);
      if (signal?.aborted) return false;
      const rows = await claimPolls(d.sql, { now: new Date(now), limit: batch, leaseMs: 60_000 });
      const byKey = new Map<string | null, TaskRow[]>();
      for (const row of rows) byKey.set(row.keyName, [...(byKey.get(row.keyName) ?? []), row]);
      await Promise.all(
        [...byKey].map(([keyName, keyRows]) =>
          pollKey(keyName, keyRows, now, signal).catch((err) =>
            log.error({ err, keyName }, 'polling failed; retried when the poll lease ends'),
          ),
        ),
      );
      return rows.length === batch || late.length === batch;
    },
  };
}
