import type { KV } from '@neurocards/platform';

const MAX_CAS_TRIES = 20;

/**
 * Read–modify–write of one KV entry with optimistic concurrency: `change` returns the new
 * value (or null to leave it), and the write is a revision-checked `update` (`create` for a
 * new entry), retried on conflict with fresh state. Replicas never overwrite each other.
 */
export async function casUpdate<T, R>(
  kv: KV,
  key: string,
  empty: () => T,
  change: (v: T) => Promise<{ next: T | null; result: R }> | { next: T | null; result: R },
): Promise<R> {
  for (let i = 0; i < MAX_CAS_TRIES; i++) {
    const e = await kv.get(key);
    const revision = e ? e.revision : null;
    const value = e && e.operation === 'PUT' ? { ...empty(), ...e.json<Partial<T>>() } : empty();
    const { next, result } = await change(value as T);
    if (!next) return result;
    try {
      if (revision === null) await kv.create(key, JSON.stringify(next));
      else await kv.update(key, JSON.stringify(next), revision);
      return result;
    } catch (err) {
      if (!isConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * (i + 1)));
    }
  }
  throw new Error(`KV: gave up after ${MAX_CAS_TRIES} conflicting writes on ${key}`);
}

/** JetStream's "wrong last sequence" (update) and "key exists" (create) both mean: someone else wrote. */
export function isConflict(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? ''} ${String((err as { code?: unknown })?.code ?? '')}`;
  return /wrong last sequence|key exists|10071|10164/i.test(text);
}
