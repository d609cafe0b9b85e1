/**
 * KIE accounts and their keys. Limits are per account (docs/design.md §4; "Getting Started with KIE API",
 * https://docs.kie.ai/ — https://docs.kie.ai/apidoc/docs-site/764533/1973359m0.md in its llms.txt:
 * 20 new generation requests per 10 s per account, excess answered 429 and not queued; typically
 * 100+ running tasks), one credit balance per account for all models and keys
 * (https://docs.kie.ai/common-api/get-account-credits), and each key may carry its own
 * hourly/daily/total spending cap, answered 433 "usage limit exceeded" for that key only.
 */

/** Credits one key may spend per rolling hour, rolling day and in total. */
export interface KeyCaps {
  hourly?: number;
  daily?: number;
  total?: number;
}

export interface AccountStats {
  /** Tasks created (both families) per account, and the most seen in any rate window. */
  created: number;
  maxInWindow: number;
  /** 429 answers from the per-account window or running cap. */
  rateLimited: number;
  /** 402 answers. */
  noCredits: number;
  /** Credits spent on tasks, and the balance left. */
  spent: number;
  credits: number;
}

interface Spend {
  at: number;
  credits: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export class Accounts {
  private readonly accountOfKey = new Map<string, string>();
  private readonly credits = new Map<string, number>();
  private readonly created = new Map<string, number[]>();
  private readonly stats = new Map<string, AccountStats>();
  private readonly spends = new Map<string, Spend[]>();
  /** 429s per key, 433s per key. */
  readonly keyRateLimited = new Map<string, number>();
  readonly keyCapped = new Map<string, number>();

  constructor(
    /** undefined: any non-empty key is accepted and is its own account. */
    private readonly configured: Record<string, readonly string[]> | undefined,
    private readonly startingCredits: number,
    private readonly caps: Record<string, KeyCaps> = {},
  ) {
    for (const [account, keys] of Object.entries(configured ?? {})) for (const k of keys) this.accountOfKey.set(k, account);
  }

  /** The account of a key, or undefined when accounts are configured and the key is not one of them. */
  accountOf(key: string): string | undefined {
    if (key === '') return undefined;
    return this.accountOfKey.get(key) ?? (this.configured === undefined ? key : undefined);
  }

  /** An account name, or a key mapped to its account (so by-key setters keep working). */
  resolve(accountOrKey: string): string {
    return this.accountOfKey.get(accountOrKey) ?? accountOrKey;
  }

  creditsOf(accountOrKey: string): number {
    return this.credits.get(this.resolve(accountOrKey)) ?? this.startingCredits;
  }
  setCredits(accountOrKey: string, credits: number): void {
    this.credits.set(this.resolve(accountOrKey), credits);
  }

  private statsOf(account: string): AccountStats {
    let s = this.stats.get(account);
    if (s === undefined) this.stats.set(account, (s = { created: 0, maxInWindow: 0, rateLimited: 0, noCredits: 0, spent: 0, credits: 0 }));
    return s;
  }

  /** 433 when this task's cost would take the key past one of its caps. */
  capExceeded(key: string, cost: number, now: number): boolean {
    const cap = this.caps[key];
    if (cap === undefined) return false;
    const spends = this.spends.get(key) ?? [];
    const since = (ms: number): number => spends.filter((s) => s.at > now - ms).reduce((n, s) => n + s.credits, 0);
    const over =
      (cap.hourly !== undefined && since(HOUR) + cost > cap.hourly) ||
      (cap.daily !== undefined && since(DAY) + cost > cap.daily) ||
      (cap.total !== undefined && since(Infinity) + cost > cap.total);
    if (over) this.keyCapped.set(key, (this.keyCapped.get(key) ?? 0) + 1);
    return over;
  }

  noCredits(account: string, cost: number): boolean {
    const short = this.creditsOf(account) < cost;
    if (short) this.statsOf(account).noCredits++;
    return short;
  }

  /** A 402 answered whatever the balance (the sim's failure share): counted like a real one. */
  refusedForCredits(account: string): void {
    this.statsOf(account).noCredits++;
  }

  /** Configured accounts and their keys (empty when any key is accepted as its own account). */
  keysByAccount(): Record<string, string[]> {
    return Object.fromEntries(Object.entries(this.configured ?? {}).map(([a, keys]) => [a, [...keys]]));
  }

  /** Whether one more task fits the account's window; counts the 429 when not. */
  windowFull(account: string, key: string, limit: { tasks: number; windowMs: number }, now: number): boolean {
    const inWindow = (this.created.get(account) ?? []).filter((t) => t > now - limit.windowMs).length;
    return inWindow >= limit.tasks ? this.rateLimited(account, key) : false;
  }

  /** Records a 429 for the account and key; returns true for use in conditions. */
  rateLimited(account: string, key: string): true {
    this.statsOf(account).rateLimited++;
    this.keyRateLimited.set(key, (this.keyRateLimited.get(key) ?? 0) + 1);
    return true;
  }

  /** A task was created: charge the account and the key, and track the densest window. */
  charge(account: string, key: string, cost: number, now: number, windowMs: number): void {
    this.credits.set(account, this.creditsOf(account) - cost);
    const spends = this.spends.get(key) ?? [];
    spends.push({ at: now, credits: cost });
    this.spends.set(key, spends);
    const times = (this.created.get(account) ?? []).filter((t) => t > now - Math.max(windowMs, 10_000));
    times.push(now);
    this.created.set(account, times);
    const s = this.statsOf(account);
    s.created++;
    s.spent += cost;
    s.maxInWindow = Math.max(s.maxInWindow, times.filter((t) => t > now - windowMs).length);
  }

  /** Per-account stats, every account seen so far. */
  snapshot(): Record<string, AccountStats> {
    const names = new Set([...this.stats.keys(), ...Object.keys(this.configured ?? {})]);
    return Object.fromEntries([...names].map((a) => [a, { ...this.statsOf(a), credits: this.creditsOf(a) }]));
  }
}
