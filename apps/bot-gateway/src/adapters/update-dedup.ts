import { createHash } from 'node:crypto';
import { isKvConflict, type KV } from '@neurocards/platform';

/**
 * Telegram update de-duplication in KV `bot_updates` (grammY does not de-duplicate;
 * Telegram redelivers an update when the webhook answers slowly or fails, and polling
 * redelivers from the UPDATES stream). A claim is a *lease*, not a permanent mark (issue 7):
 * the value of the key `update_id` is `{ fp, state, at }`.
 *
 * - `claim` wins by an atomic create (`processing`); of two deliveries exactly one wins.
 * - The winner renews `at` while it handles (every lease/3), marks `done` when it finished,
 *   or deletes the claim when its handling failed (so the redelivery is handled).
 * - A `processing` claim older than the lease belongs to a process that died mid-handling:
 *   the next delivery takes it over by compare-and-set on its revision, so the crash loses
 *   nothing. A fresh `processing` claim is `busy`: the caller fails the delivery so it comes
 *   again later (acknowledging it would lose the update if the holder then died).
 * - `done` with the same fingerprint is a true duplicate: skipped.
 *
 * The fingerprint: a redelivery is the same update, byte for byte; an update whose id was
 * seen with *different* content is a new update reusing an old id (a new bot behind the same
 * deployment, a restarted simulator) and is processed rather than dropped for the 24 h the
 * keys live.
 */
export type Claim = { kind: 'won'; lease: Lease } | { kind: 'duplicate' } | { kind: 'busy' };

export interface Lease {
  /** Handling finished: later deliveries of this update are duplicates. */
  done(): Promise<void>;
  /** Handling failed without effect: gives the update back, so a redelivery is handled. */
  release(): Promise<void>;
}

export interface UpdateDedup {
  claim(updateId: number, update: unknown): Promise<Claim>;
}

export interface UpdateDedupOptions {
  /** Key prefix (tests share the bucket). */
  prefix?: string;
  /** How long a `processing` claim holds without renewal. Longer than a normal handling. */
  leaseMs?: number;
  now?: () => number;
  /** Tests: called when a renewal could not be written. */
  onRenewFailed?: (err: unknown) => void;
}

/** 30 s: a handling takes seconds; the lease is renewed every 10 s while a slow one runs. */
export const UPDATE_LEASE_MS = 30_000;

interface ClaimValue {
  fp: string;
  state: 'processing' | 'done';
  at: number;
}

export function fingerprint(update: unknown): string {
  return createHash('sha256').update(JSON.stringify(update)).digest('base64url');
}

/** A value written before leases (a bare fingerprint) counts as `done`. */
function parse(raw: string): ClaimValue | null {
  if (!raw.startsWith('{')) return raw ? { fp: raw, state: 'done', at: 0 } : null;
  try {
    const v = JSON.parse(raw) as Partial<ClaimValue>;
    if (typeof v.fp !== 'string' || (v.state !== 'processing' && v.state !== 'done') || typeof v.at !== 'number')
      return null;
    return v as ClaimValue;
  } catch {
    return null;
  }
}

export function createUpdateDedup(kv: KV, opts: UpdateDedupOptions = {}): UpdateDedup {
  const prefix = opts.prefix ?? '';
  const leaseMs = opts.leaseMs ?? UPDATE_LEASE_MS;
  const now = opts.now ?? Date.now;
  const key = (id: number) => `${prefix}${id}`;
  const encode = (fp: string, state: ClaimValue['state']) => JSON.stringify({ fp, state, at: now() });

  /** Writes from `revision` (0: create); the new revision, or null if someone wrote first. */
  const cas = async (k: string, value: string, revision: number): Promise<number | null> => {
    try {
      return revision ? await kv.update(k, value, revision) : await kv.create(k, value);
    } catch (err) {
      if (isKvConflict(err)) return null;
      throw err;
    }
  };

  const lease = (k: string, fp: string, revision: number): Lease => {
    let rev = revision;
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = cas(k, encode(fp, 'processing'), rev).then(
        (r) => {
          // Lost it (this process stalled past the lease and another took over): stop renewing.
          if (r === null) clearInterval(timer);
          else rev = r;
        },
        (err: unknown) => opts.onRenewFailed?.(err),
      );
    }, leaseMs / 3);
    timer.unref();
    const stop = async () => {
      clearInterval(timer);
      await renewing;
    };
    return {
      async done() {
        await stop();
        // A conflict means another delivery took the update over; it marks it done itself.
        await cas(k, encode(fp, 'done'), rev);
      },
      async release() {
        await stop();
        // Only our own claim: one taken over since is not ours to delete.
        await kv.delete(k, { previousSeq: rev }).catch((err: unknown) => {
          if (!isKvConflict(err)) throw err;
        });
      },
    };
  };

  return {
    async claim(updateId, update) {
      const k = key(updateId);
      const fp = fingerprint(update);
      // A few rounds: a claim deleted or taken over between our read and write is read again.
      for (let round = 0; round < 3; round++) {
        const seen = await kv.get(k);
        const value = seen && seen.operation === 'PUT' ? parse(seen.string()) : null;
        const fresh = value !== null && value.fp === fp;
        if (fresh && value.state === 'done') return { kind: 'duplicate' };
        if (fresh && now() - value.at < leaseMs) return { kind: 'busy' };
        // No claim, a stale `processing` one (its holder died), or another update's: take it.
        const revision = seen ? (seen.operation === 'PUT' ? seen.revision : 0) : 0;
        const won = await cas(k, encode(fp, 'processing'), revision);
        if (won !== null) return { kind: 'won', lease: lease(k, fp, won) };
      }
      // Lost every race: someone else holds it right now.
      return { kind: 'busy' };
    },
  };
}
