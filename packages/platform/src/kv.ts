import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

/**
 * True when a KV `create` or `update` lost a race: the key exists (create) or moved on since
 * the revision read (update). JetStream answers both with API error 10071 ("wrong last
 * sequence"), or 10164 when the last sequence is unknown; `@nats-io/kv`'s own `create`
 * checks exactly these two codes on a `JetStreamApiError` before it looks for a deleted key.
 */
export function isKvConflict(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/**
 * Compare-and-set: writes `value` only if `key` is still at `revision`. A revision of 0 or
 * null means "never written" (or deleted/purged): the write is a `create`. Returns false
 * when another writer got there first; the caller re-reads and decides again.
 */
export async function kvCompareAndSet(
  kv: KV,
  key: string,
  value: string | Uint8Array,
  revision: number | null,
): Promise<boolean> {
  try {
    if (!revision) await kv.create(key, value);
    else await kv.update(key, value, revision);
    return true;
  } catch (err) {
    if (isKvConflict(err)) return false;
    throw err;
  }
}

export interface KvMutateOptions<T, R> {
  /**
   * The value of a key never written (or deleted); stored values are merged over it. May be
   * null when "nothing yet" is itself a state (a token bucket not started).
   */
  empty: () => T;
  /** The new value, or null to leave the entry as it is; `result` is what the caller gets. */
  change: (value: T) => Promise<{ next: T | null; result: R }> | { next: T | null; result: R };
  /** Conflicting writes tolerated before giving up (default 20). */
  maxTries?: number;
}

/**
 * Read–modify–write of one JSON entry with optimistic concurrency: read, let `change`
 * decide, compare-and-set; on a conflict read again and re-decide on fresh state (after a
 * short random pause, so racing replicas spread out). Returns what `change` decided on the
 * winning try.
 */
export async function kvMutate<T extends object | null, R>(
  kv: KV,
  key: string,
  o: KvMutateOptions<T, R>,
): Promise<R> {
  const maxTries = o.maxTries ?? 20;
  for (let i = 0; i < maxTries; i++) {
    const e = await kv.get(key);
    const value = e && e.operation === 'PUT' ? ({ ...o.empty(), ...e.json<Partial<T>>() } as T) : o.empty();
    const { next, result } = await o.change(value);
    if (!next) return result;
    if (await kvCompareAndSet(kv, key, JSON.stringify(next), e?.revision ?? null)) return result;
    await new Promise((r) => setTimeout(r, Math.random() * 5 * (i + 1)));
  }
  throw new Error(`kv: gave up after ${maxTries} conflicting writes on ${key}`);
}
