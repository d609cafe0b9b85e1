import type { KV } from '@neurocards/platform';
import { block, coolDown, emptyKeyState, takeSlot, type KeyState, type SubmitRate } from '../domain/keys';

/**
 * Per-key state in the `kie_keys` KV bucket, shared by every replica. Every write is a
 * revision-checked `update` (or `create` for a new key), retried on conflict, so two
 * replicas never both spend the last slot of a key's rate window.
 */
export interface KeyPool {
  readonly names: readonly string[];
  snapshot(): Promise<Array<{ name: string; state: KeyState }>>;
  /** Takes one submission slot of the key's window; false when blocked, cooling or full. */
  tryTake(name: string, now: number): Promise<boolean>;
  coolDown(name: string, until: number): Promise<void>;
  /** Blocks the key; `newly` is false when another replica (or task) blocked it first. */
  block(
    name: string,
    now: number,
    until: number,
    code: number | null,
    reason: string,
  ): Promise<{ newly: boolean }>;
}

export interface KeyPoolOptions {
  kv: KV;
  /** Key names (never key values: the bucket is readable by operators). */
  names: readonly string[];
  rate: SubmitRate;
  /** KV key prefix, e.g. `key.`; tests use a unique one per run. */
  prefix?: string;
}

const MAX_CAS_TRIES = 20;

export function createKeyPool({ kv, names, rate, prefix = 'key.' }: KeyPoolOptions): KeyPool {
  const kvKey = (name: string) => `${prefix}${name}`;

  const read = async (name: string): Promise<{ state: KeyState; revision: number | null }> => {
    const e = await kv.get(kvKey(name));
    if (!e) return { state: emptyKeyState(), revision: null };
    if (e.operation !== 'PUT') return { state: emptyKeyState(), revision: e.revision };
    return { state: { ...emptyKeyState(), ...e.json<Partial<KeyState>>() }, revision: e.revision };
  };

  /**
   * Read–modify–write with optimistic concurrency. `change` returns the new state, or null
   * to leave the entry as it is. Returns what `change` decided on the winning try.
   */
  const mutate = async <R>(
    name: string,
    change: (s: KeyState) => { next: KeyState | null; result: R },
  ): Promise<R> => {
    for (let i = 0; i < MAX_CAS_TRIES; i++) {
      const { state, revision } = await read(name);
      const { next, result } = change(state);
      if (!next) return result;
      const payload = JSON.stringify(next);
      try {
        if (revision === null) await kv.create(kvKey(name), payload);
        else await kv.update(kvKey(name), payload, revision);
        return result;
      } catch (err) {
        if (!isConflict(err)) throw err;
        // Another replica wrote in between: read again and re-decide on fresh state.
        await new Promise((r) => setTimeout(r, Math.random() * 5 * (i + 1)));
      }
    }
    throw new Error(`kie_keys: gave up after ${MAX_CAS_TRIES} conflicting writes on ${name}`);
  };

  return {
    names,
    async snapshot() {
      return Promise.all(names.map(async (name) => ({ name, state: (await read(name)).state })));
    },
    tryTake(name, now) {
      return mutate(name, (s) => {
        const next = takeSlot(s, now, rate);
        return { next, result: next !== null };
      });
    },
    async coolDown(name, until) {
      await mutate(name, (s) => ({ next: coolDown(s, until), result: undefined }));
    },
    block(name, now, until, code, reason) {
      return mutate(name, (s) => {
        const b = block(s, now, until, code, reason);
        return { next: b.newly ? b.state : null, result: { newly: b.newly } };
      });
    },
  };
}

/** JetStream's "wrong last sequence" (update) and "key exists" (create) both mean: someone else wrote. */
function isConflict(err: unknown): boolean {
  const text = `${(err as Error)?.message ?? ''} ${String((err as { code?: unknown })?.code ?? '')}`;
  return /wrong last sequence|key exists|10071|10164/i.test(text);
}
