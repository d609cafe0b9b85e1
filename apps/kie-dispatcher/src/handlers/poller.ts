import type { Logger, Sql } from '@neurocards/platform';
import type { ApiKey } from '../config';
import type { KieClient } from '../adapters/kie-client';
import { claimPolls, overdue, schedulePoll, type TaskRow } from '../adapters/tasks-repo';
import { nextPollDelayMs, takeToken, withJitter, type Bucket } from '../domain/poll-schedule';
import { interpretRecord } from '../domain/record';
import type { Outcomes } from './outcomes';

export interface PollerDeps {
  sql: Sql;
  kie: KieClient;
  outcomes: Outcomes;
  keys: readonly ApiKey[];
  clock: () => number;
  log: Logger;
  /** recordInfo calls per second per key from this replica (KIE allows 10 per key in all). */
  pollsPerSecondPerKey?: number;
  /** Rows polled per tick. */
  batch?: number;
}

/**
 * Safety net for lost callbacks, and the attempt deadline. Asks KIE about running tasks
 * whose next poll is due, with the key that created them, and ends attempts that ran past
 * GENERATION_DEADLINE (a transient failure; `expired` on the last attempt).
 */
export function createPoller(d: PollerDeps): { tick(): Promise<boolean> } {
  const log = d.log.child({ module: 'poller' });
  const perSecond = d.pollsPerSecondPerKey ?? 5;
  const batch = d.batch ?? 50;
  const secrets = new Map(d.keys.map((k) => [k.name, k.secret]));
  const buckets = new Map<string, Bucket>();

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

  async function poll(row: TaskRow): Promise<void> {
    const now = d.clock();
    const age = now - (row.submittedAt?.getTime() ?? now);
    const later = (ms: number) => schedulePoll(d.sql, row.jobId, row.attempt, new Date(now + withJitter(ms)));
    const secret = row.keyName ? secrets.get(row.keyName) : undefined;
    if (!secret || !row.taskId) {
      // The key left the configuration: only the callback or the deadline can end this attempt.
      await later(nextPollDelayMs(age));
      return;
    }
    const t = takeToken(buckets.get(row.keyName!), now, perSecond);
    buckets.set(row.keyName!, t.bucket);
    if (!t.ok) {
      await later(1000);
      return;
    }
    const res = await d.kie.recordInfo(secret, row.taskId);
    if (!res.ok) {
      // A failing poll says nothing about the task; ask again later (the deadline bounds it).
      log.warn({ jobId: row.jobId, keyName: row.keyName, failure: res.failure }, 'recordInfo failed');
      await later(nextPollDelayMs(age));
      return;
    }
    const outcome = interpretRecord(res.value);
    switch (outcome.kind) {
      case 'pending':
        await later(nextPollDelayMs(age));
        return;
      case 'success':
        await d.outcomes.succeed(
          { jobId: row.jobId, attempt: row.attempt, taskId: row.taskId },
          outcome.urls,
        );
        return;
      case 'failure':
        await d.outcomes.fail(
          {
            jobId: row.jobId,
            attempt: row.attempt,
            taskId: row.taskId,
            keyName: row.keyName,
            states: ['running'],
          },
          outcome.failure,
        );
        return;
    }
  }

  return {
    async tick() {
      const now = d.clock();
      const late = await overdue(d.sql, new Date(now), batch);
      for (const row of late) await expire(row);
      const rows = await claimPolls(d.sql, { now: new Date(now), limit: batch, leaseMs: 60_000 });
      await Promise.all(
        rows.map((row) =>
          poll(row).catch((err) =>
            log.error({ err, jobId: row.jobId }, 'poll failed; retried when its lease ends'),
          ),
        ),
      );
      return rows.length === batch || late.length === batch;
    },
  };
}
