import { kvMutate, type KV, type KvMutateOptions } from '@neurocards/platform';
import {
  block,
  blockKey,
  coolDown,
  coolKey,
  emptyAccountState,
  liftAccountBlock,
  unblock,
  type AccountState,
  type SubmitRate,
} from '../domain/keys';
import { takeTokens, type Bucket } from '../domain/poll-schedule';
import { releaseSlot, takeKeySlot } from '../domain/slots';

export interface KeyRef {
  name: string;
  account: string;
}

/**
 * Limits in the `kie_keys` KV bucket, shared by every replica: one entry per ACCOUNT (its
 * rate window, unanswered calls, 429 cool-down, 402 block, and each key's own 433
 * cool-down / 401 block), and one poll-budget entry per key. Every write is a
 * revision-checked `update` (or `create` for a new entry), retried on conflict, so two
 * replicas never both spend the last slot of an account's window or a key's poll budget.
 */
export interface KeyPool {
  /** Key names, in configuration order. */
  readonly names: readonly string[];
  /** Account names, in configuration order. */
  readonly accounts: readonly string[];
  accountOf(key: string): string | undefined;
  keysOf(account: string): string[];
  /** Every account's entry (`name` is the account). */
  snapshot(): Promise<Array<{ name: string; keys: string[]; state: AccountState }>>;
  /**
   * Takes a submission slot of the key's account right before createTask; false when the key
   * or its account is blocked or cooling, the account's window is full, `parallel` calls on
   * the key are unanswered, or the account's KIE_MAX_IN_FLIGHT is reached. `inFlight` (the
   * account's tasks in Postgres) is read after the entry on every try, so a slot released in
   * between is never missed.
   */
  tryTake(key: string, now: number, o: { id: string; inFlight: () => Promise<number> }): Promise<boolean>;
  /** The createTask of slot `id` was answered at `answeredAt`, or never sent (`null`). */
  release(key: string, id: string, answeredAt: number | null): Promise<void>;
  /** Up to `want` recordInfo calls for the key, from the budget all replicas share. */
  takePollTokens(key: string, want: number, now: number): Promise<number>;
  /** The key's own cool-down (433: its own cap); the account's other keys go on. */
  coolDown(key: string, until: number, reason?: string): Promise<void>;
  /** The whole account cools down (429: its shared window is spent). */
  coolAccount(account: string, until: number): Promise<void>;
  /**
   * Blocks the key (scope `key`, 401) or its whole account (scope `account`, 402; the
   * default for code 402); `newly` is false when another replica (or task) blocked it
   * first. `until` is the block in force (the earlier one when it was blocked already).
   */
  block(
    key: string,
    now: number,
    until: number,
    code: number | null,
    reason: string,
    scope?: 'key' | 'account',
  ): Promise<{ newly: boolean; until: number }>;
  /** Admin: lifts the blocks/cool-downs of a key, or of an account and all its keys, by name. */
  unblock(target: string, now: number): Promise<{ known: boolean; unblocked: string[] }>;
  /** Credits are back: lifts the account's 402 block; true when there was one. */
  liftAccountBlock(account: string, now: number): Promise<boolean>;
}

export interface KeyPoolOptions {
  kv: KV;
  /** Keys with their accounts (never key values: the bucket is readable by operators). */
  keys?: readonly KeyRef[];
  /** Shorthand: key names, each its own account. */
  names?: readonly string[];
  rate: SubmitRate;
  /** Unanswered createTask calls per key (default 3). */
  parallel?: number;
  /** KIE_MAX_IN_FLIGHT per account (default: unlimited). */
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

export function createKeyPool(o: KeyPoolOptions): KeyPool {
  const { kv, prefix = 'key.' } = o;
  const refs: KeyRef[] = [...(o.keys ?? (o.names ?? []).map((name) => ({ name, account: name })))];
  const names = refs.map((k) => k.name);
  const accounts = [...new Set(refs.map((k) => k.account))];
  const accountByKey = new Map(refs.map((k) => [k.name, k.account]));
  const keysOf = (account: string) => refs.filter((k) => k.account === account).map((k) => k.name);
  const rate = { limit: o.rate.limit, windowMs: o.rate.windowMs + (o.guardMs ?? 250) };
  const limits = {
    rate,
    parallel: o.parallel ?? 3,
    maxInFlight: o.maxInFlight ?? Infinity,
    ttlMs: o.slotTtlMs ?? 60_000,
  };
  const pollsPerSecond = o.pollsPerSecond ?? 8;
  // The account's entry; a key without an account is its own account, so its entry keeps
  // the key's name (and an existing per-key entry reads as that account's).
  const accountKey = (account: string) => `${prefix}${account}`;
  // A separate entry per key: polls do not contend with submissions for the revision.
  const pollKeyOf = (name: string) => `${prefix}${name}.poll`;
  const accountFor = (key: string) => {
    const a = accountByKey.get(key);
    if (!a) throw new Error(`unknown KIE key "${key}"`);
    return a;
  };

  const read = async <T>(key: string, empty: () => T): Promise<T> => {
    const e = await kv.get(key);
    return e && e.operation === 'PUT' ? { ...empty(), ...e.json<Partial<T>>() } : empty();
  };

  // Revision-checked read–modify–write: replicas never overwrite each other's slots.
  const mutateAccount = <R>(account: string, change: KvMutateOptions<AccountState, R>['change']) =>
    kvMutate<AccountState, R>(kv, accountKey(account), { empty: emptyAccountState, change });

  return {
    names,
    accounts,
    accountOf: (key) => accountByKey.get(key),
    keysOf,
    async snapshot() {
      return Promise.all(
        accounts.map(async (name) => ({
          name,
          keys: keysOf(name),
          state: await read(accountKey(name), emptyAccountState),
        })),
      );
    },
    tryTake(key, now, t) {
      return mutateAccount(accountFor(key), async (s) => {
        const next = takeKeySlot(s, key, now, t.id, { ...limits, inFlight: await t.inFlight() });
        return { next, result: next !== null };
      });
    },
    async release(key, id, answeredAt) {
      await mutateAccount(accountFor(key), (s) => ({
        next: releaseSlot(s, id, answeredAt, rate),
        result: undefined,
      }));
    },
    takePollTokens(key, want, now) {
      if (want <= 0) return Promise.resolve(0);
      return kvMutate<Bucket | null, number>(kv, pollKeyOf(key), {
        empty: () => null,
        change: (b) => {
          const t = takeTokens(b, now, pollsPerSecond, want);
          return { next: t.granted > 0 ? t.bucket : null, result: t.granted };
        },
      });
    },
    async coolDown(key, until, reason = 'usage cap reached (433)') {
      await mutateAccount(accountFor(key), (s) => {
        const next = coolKey(s, key, until, reason);
        return { next: next === s ? null : next, result: undefined };
      });
    },
    async coolAccount(account, until) {
      await mutateAccount(account, (s) => ({ next: { ...s, ...coolDown(s, until) }, result: undefined }));
    },
    block(key, now, until, code, reason, scope) {
      const whole = (scope ?? (code === 402 ? 'account' : 'key')) === 'account';
      return mutateAccount(accountFor(key), (s) => {
        if (whole) {
          const b = block(s, now, until, code, reason);
          return {
            next: b.newly ? { ...s, ...b.state } : null,
            result: { newly: b.newly, until: b.state.blockedUntil ?? until },
          };
        }
        const b = blockKey(s, key, now, until, code, reason);
        return {
          next: b.newly ? b.state : null,
          result: { newly: b.newly, until: b.state.keys[key]?.blockedUntil ?? until },
        };
      });
    },
    async unblock(target, now) {
      const isAccount = accounts.includes(target);
      const account = isAccount ? target : accountByKey.get(target);
      if (!account) return { known: false, unblocked: [] };
      // An account name lifts the account and all its keys; a key name only that key (a key
      // without an account has its own name as account: both readings agree).
      const key = isAccount ? null : target;
      const unblocked = await mutateAccount(account, (s) => {
        const u = unblock(s, key, keysOf(account), now);
        return { next: u.state, result: u.lifted };
      });
      return { known: true, unblocked };
    },
    liftAccountBlock(account, now) {
      return mutateAccount(account, (s) => {
        const l = liftAccountBlock(s, now);
        return { next: l.lifted ? l.state : null, result: l.lifted };
      });
    },
  };
}
