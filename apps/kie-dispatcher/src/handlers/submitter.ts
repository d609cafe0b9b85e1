import type { ApiKey } from '../config';
import { claimForSubmit, recoverLostSubmits, type TaskRow } from '../adapters/tasks-repo';
import { keyCapacity, rankAccountKeys } from '../domain/keys';
import { accountCandidates, createSubmission, type SubmissionDeps } from './submission';

/** What a submission needs, less what the submitter derives (secrets) or defaults. */
export interface SubmitterDeps extends Omit<SubmissionDeps, 'secrets' | 'parallel' | 'retryMs' | 'graceMs'> {
  keys: readonly ApiKey[];
  /** Unanswered createTask calls per key (default 3). */
  parallel?: number;
  /** Rows in hand at once on this replica (uploads + createTask). */
  concurrency?: number;
  /** How long a claimed row belongs to this replica before another may take it. */
  leaseMs?: number;
  /** Stopping: how long to wait for a createTask already sent (default 5 s). */
  graceMs?: number;
  /** A row in hand finished: the loop may claim another at once. */
  onSettled?: () => void;
}

export interface Submitter {
  /** Claims due rows while there is room, and starts them; does not wait for them. */
  tick(): Promise<boolean>;
  /** Resolves when no row is in hand. */
  idle(): Promise<void>;
  /**
   * No new uploads or createTask; uploads in flight are aborted and their rows queued again;
   * a createTask in flight gets `graceMs`, then its row is left leased for the next start.
   */
  stop(): Promise<void>;
}

/**
 * The submission loop's work. Each claimed row proceeds on its own (upload, slot, createTask),
 * so one slow upload holds back only its own row; the tick claims more as rows finish. When
 * no key can take work, rows stay queued: they are never failed for it.
 */
export function createSubmitter(d: SubmitterDeps): Submitter {
  const log = d.log.child({ module: 'submitter' });
  const concurrency = d.concurrency ?? 8;
  const leaseMs = d.leaseMs ?? 120_000;
  const parallel = d.parallel ?? 3;
  const stopping = new AbortController();
  const inHand = new Set<Promise<void>>();
  const submission = createSubmission({
    ...d,
    secrets: new Map(d.keys.map((k) => [k.name, k.secret])),
    parallel,
    retryMs: 1000,
    graceMs: d.graceMs ?? 5000,
  });

  function start(row: TaskRow, uploadKey: string | undefined) {
    const work = uploadKey
      ? submission.submit(row, uploadKey, stopping.signal)
      : submission.putBack(row, 1000); // only keys this row must not use have room
    const p: Promise<void> = work
      .catch((err) => {
        // The lease returns the row to the queue (or to recovery) if this was mid-way.
        log.error({ err, jobId: row.jobId, orderId: row.orderId }, 'submission failed unexpectedly');
      })
      .finally(() => {
        inHand.delete(p);
        d.onSettled?.();
      });
    inHand.add(p);
  }

  const idle = async () => {
    while (inHand.size > 0) await Promise.allSettled([...inHand]);
  };

  return {
    async tick() {
      if (stopping.signal.aborted) return false;
      const now = d.clock();
      const recovered = await recoverLostSubmits(d.sql, new Date(now));
      if (recovered > 0)
        log.warn(
          { count: recovered },
          'submit leases expired after createTask was sent; waiting for callbacks or the deadline',
        );
      const free = concurrency - inHand.size;
      if (free <= 0) return false;
      const candidates = await accountCandidates(d.sql, d.pool);
      // Room of each account: the best of its keys (they share the account's window).
      const room = candidates.reduce(
        (sum, a) =>
          sum +
          Math.max(
            0,
            ...a.keys.map((k) => keyCapacity(a.state, k, a.inFlight, d.maxInFlight, now, d.rate, parallel)),
          ),
        0,
      );
      if (room === 0) return false;
      const rows = await claimForSubmit(d.sql, { now: new Date(now), limit: free, leaseMs });
      for (const row of rows) {
        const opts = { now, rate: d.rate, maxInFlight: d.maxInFlight, parallel, exclude: row.excludedKeys };
        start(row, rankAccountKeys(candidates, opts)[0]);
      }
      return rows.length > 0;
    },
    idle,
    async stop() {
      stopping.abort();
      await idle();
    },
  };
}
