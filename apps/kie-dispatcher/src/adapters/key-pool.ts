import type { KV } from '@neurocards/platform';
import { block, coolDown, emptyKeyState, type KeyState, type SubmitRate } from '../domain/keys';
import { takeTokens, type Bucket } from '../domain/poll-schedule';
import { releaseSlot, takeSlot } from '../domain/slots';

/**
 * Per-key state in the `kie_keys` KV bucket, shared by every replica. Every write is a
 * revision-checked `update` (or `create` for a new key), retried on conflict, so two
 * replicas never both spend the last slot of a key's rate window or poll budget.
 */
export interface KeyPool {
  readonly names: readonly string[];
  snapshot(): Promise<Array<{ name: string; state: KeyState }>>;
  /**
   * Takes a submission slot right before createTask; false when the key is blocked, cooling,
   * its window is full, `parallel` calls on it are unanswered, or KIE_MAX_IN_FLIGHT is
   * reached. `inFlight` is read after the key's state on every try, so a slot released in
   * between (its row already counted in Postgres) is never missed.
   */
  tryTake(name: string, now: number, o: { id: string; inFlight: () => Promise<number> }): Promise<boolean>;
  /** The createTask of slot `id` was answered at `answeredAt`, or never sent (`null`). */
  release(name: string, id: string, answeredAt: number | null): Promise<void>;
  /** Up to `want` recordInfo calls for the key, from the budget all replicas share. */
  takePollTokens(name: string, want: number, now: number): Promise<number>;
  coolDown(name: string, until: number): Promise<void>;
  /**
   * Blocks the key; `newly` is false when another replica (or task) blocked it first.
   * `until` is the block in force (the earlier one when it was blocked already).
   */
  block(
    name: string,
    now: number,
    until: number,
    code: number | null,
    reason: string,
  ): Promise<{ newly: boolean; until: number }>;
}

export interface KeyPoolOptions {
  kv: KV;
  /** Key names (never key values: the bucket is readable by operators). */
  names: readonly string[];
  rate: SubmitRate;
  /** Unanswered createTask calls per key (default 3). */
  parallel?: number;
  /** KIE_MAX_IN_FLIGHT (default: unlimited). */
  maxInFlight?: number;
  /** A slot whose createTask never reports back expires after this (default 60 s). */
  slotTtlMs?: number;
  /** Added to the rate window, against clock skew between replicas (default 250 ms). */
  guardMs?: number;
  /** recordInfo calls per second per key, all replicas together (default 8; KIE allows 10). */
  pollsPerSecond?: number;
  /** KV key prefix, e.g. `key.`; tests use a unique one per run. */
  prefix?: string;
}

const MAX_CAS_TRIES = 20;

export function createKeyPool(o: KeyPoolOptions): KeyPool {
  const { kv, names, prefix = 'key.' } = o;
  const rate = { limit: o.rate.limit, windowMs: o.rate.windowMs + (o.guardMs ?? 250) };
  const limits = { rate, parallel: o.parallel ?? 3, maxInFlight: o.maxInFlight ?? Infinity, ttlMs: o.slotTtlMs ?? 60_000 };
  const pollsPerSecond = o.pollsPerSecond ?? 8;
  const keyOf = (name: string) => `${prefix}${name}`;
  // A separate entry: polls do not contend with submissions for the key's revision.
  const pollKeyOf = (name: string) => `${prefix}${name}.poll`;

  const read = async <T>(key: string, empty: () => T): Promise<{ value: T; revision: number | null }> => {
    const e = await kv.get(key);
    if (!e) return { value: empty(), revision: null };
    if (e.operation !== 'PUT') return { value: empty(), revision: e.revision };
    return { value: { ...empty(), ...e.json<Partial<T>>() }, revision: e.revision };
  };

  /**
   * Read–modify–write with optimistic concurrency. `change` returns the new value, or null
   * to leave the entry as it is. Returns what `change` decided on the winning try.
   */
  const mutate = async <T, R>(
    key: string,
    empty: () => T,
    change: (v: T) => Promise<{ next: T | null; result: R }> | { next: T | null; result: R },
  ): Promise<R> => {
    for (let i = 0; i < MAX_CAS_TRIES; i++) {
      const { value, revision } = await read(key, empty);
      const { next, result } = await change(value);
      if (!next) return result;
      const payload = JSON.stringify(next);
      try {
        if (revision === null) await kv.create(key, payload);
        else await kv.update(key, payload, revision);
        return result;
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Another replica wrote in between: read again and re-decide on fresh state.
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (i + 1)));
      }
    }
    throw new Error(`kie_keys: gave up after ${MAX_CAS_TRIES} conflicting writes on ${key}`);
  };
  const mutateKey = <R>(name: string, change: Parameters<typeof mutate<KeyState, R>>[2]) =>
    mutate<KeyState, R>(keyOf(name), emptyKeyState, change);

  return {
    names,
    async snapshot() {
      return Promise.all(names.map(async (name) => ({ name, state: (await read(keyOf(name), emptyKeyState)).value })));
    },
    tryTake(name, now, t) {
      return mutateKey(name, async (s) => {
        const next = takeSlot(s, now, t.id, { ...limits, inFlight: await t.inFlight() });
        return { next, result: next !== null };
      });
    },
    async release(name, id, answeredAt) {
      await mutateKey(name, (s) => ({ next: releaseSlot(s, id, answeredAt, rate), result: undefined }));
    },
    takePollTokens(name, want, now) {
      if (want <= 0) return Promise.resolve(0);
      return mutate<Bucket | null, number>(
        pollKeyOf(name),
        () => null,
        (b) => {
          const t = takeTokens(b, now, pollsPerSecond, want);
          return { next: t.granted > 0 ? t.bucket : null, result: t.granted };
        },
      );
    },
    async coolDown(name, until) {
      await mutateKey(name, (s) => ({ next: coolDown(s, until), result: undefined }));
    },
    block(name, now, until, code, reason) {
      return mutateKey(name, (s) => {
        const b = block(s, now, until, code, reason);
        return { next: b.newly ? b.state : null, result: { newly: b.newly, until: b.state.blockedUntil ?? until } };
      });
    },
  };
}

/** JetStream's "wrong last sequence" (update) and "key exists" (create) both mean: someone else wrote. */
function isConflict(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? ''} ${String((err as { code?: unknown })?.code ?? '')}`;
  return /wrong last sequence|key exists|10071|10164/i.test(text);
}
