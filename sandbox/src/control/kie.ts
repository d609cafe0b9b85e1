import type { AccountStats } from '../kie/accounts.js';
import type { Endpoint, KieCore } from '../kie/core.js';
import { MODELS } from '../kie/models.js';
import type { KieBehavior, KieKeyOutcomes, KieRates } from '../kie/types.js';
import { PERCENT_FIELDS, PERCENT_NAMES } from './schema.js';
import type { KieInput, PercentField } from './schema.js';

/** What the panel needs of the KIE sim. */
export interface KieTarget {
  core: KieCore;
  setBehavior(b: Partial<KieBehavior>): void;
}

export type Percents = Record<PercentField, number>;
export type PercentOverrides = Partial<Record<PercentField, number>>;

export interface KieKeyView {
  /** The dispatcher's name for the key (`account/name`) when known, else the key. */
  name: string;
  overrides: PercentOverrides;
  effective: Percents;
  requests: Record<Endpoint, number>;
  outcomes: KieKeyOutcomes;
}
export interface KieAccountView {
  name: string;
  overrides: PercentOverrides;
  effective: Percents;
  stats: AccountStats;
  keys: KieKeyView[];
}
export interface KieView {
  latencyMs: number;
  latencyMaxMs: number | null;
  global: Percents;
  accounts: KieAccountView[];
  models: Array<{ id: string; family: string; withdrawn: boolean }>;
}

const pct = (p: number): number => Math.round(p * 10_000) / 100;

function overridesOf(r: Partial<KieRates> | undefined): PercentOverrides {
  const out: PercentOverrides = {};
  for (const n of PERCENT_NAMES) {
    const v = r?.[PERCENT_FIELDS[n]];
    if (v !== undefined) out[n] = pct(v);
  }
  return out;
}

/**
 * Reads and steers the KIE sim. `keyNames` maps a key to the dispatcher's name for it
 * (`sandbox-key-1` → `main/primary`), so the panel speaks the names the dispatcher's stats use.
 */
export function kieControl(kie: KieTarget, keyNames: Record<string, string> = {}) {
  const core = kie.core;
  const isConfiguredKey = (key: string): boolean => Object.values(core.accounts.keysByAccount()).some((ks) => ks.includes(key));
  /** A key by its dispatcher name or by itself, if the sim knows it (configured, or seen in a request). */
  const keyOf = (nameOrKey: string): string | undefined => {
    const named = Object.entries(keyNames).find(([, n]) => n === nameOrKey)?.[0];
    if (named !== undefined) return named;
    return isConfiguredKey(nameOrKey) || core.counts.has(nameOrKey) ? nameOrKey : undefined;
  };
  const isAccount = (name: string): boolean => name in core.accounts.keysByAccount() || name in core.accounts.snapshot();
  const effective = (key: string, account: string): Percents =>
    Object.fromEntries(PERCENT_NAMES.map((n) => [n, pct(core.rate(PERCENT_FIELDS[n], key, account))])) as Percents;

  function view(): KieView {
    const b = core.behavior;
    const byAccount = core.accounts.keysByAccount();
    // Keys seen in requests but not configured (a sim accepting any key) show as their own accounts.
    for (const key of core.counts.keys()) {
      const a = core.accounts.accountOf(key);
      if (a !== undefined && !(byAccount[a] ?? []).includes(key)) (byAccount[a] ??= []).push(key);
    }
    const stats = core.accounts.snapshot();
    return {
      latencyMs: b.latencyMs,
      latencyMaxMs: b.latencyMaxMs !== undefined && b.latencyMaxMs > b.latencyMs ? b.latencyMaxMs : null,
      global: Object.fromEntries(PERCENT_NAMES.map((n) => [n, pct(b[PERCENT_FIELDS[n]])])) as Percents,
      accounts: Object.entries(byAccount).map(([account, keys]) => ({
        name: account,
        overrides: overridesOf(b.rates[account]),
        effective: effective('', account),
        stats: stats[account] ?? { created: 0, maxInWindow: 0, rateLimited: 0, noCredits: 0, spent: 0, credits: core.accounts.creditsOf(account) },
        keys: keys.map((key) => ({
          name: keyNames[key] ?? key,
          overrides: overridesOf(b.rates[key]),
          effective: effective(key, account),
          requests: { createTask: 0, recordInfo: 0, credit: 0, upload: 0, ...core.counts.get(key) },
          outcomes: { ...core.outcomesOf(key) },
        })),
      })),
      models: [...MODELS.values()].map((m) => ({ id: m.id, family: m.family, withdrawn: core.withdrawn.has(m.id) })),
    };
  }

  /** Applies one POST; returns an error message (and changes nothing) when the scope is unknown. */
  function apply(input: KieInput): string | undefined {
    const b = core.behavior;
    const changes: Partial<KieBehavior> = {};
    if (input.scope === 'all') {
      const latencyMs = input.latencySeconds !== undefined ? Math.round(input.latencySeconds * 1000) : b.latencyMs;
      // A latency set alone keeps the distribution's maximum while it is still above it; below, the latency becomes fixed.
      const kept = b.latencyMaxMs !== undefined && b.latencyMaxMs >= latencyMs ? b.latencyMaxMs : undefined;
      const max = input.latencyMaxSeconds === undefined ? kept : input.latencyMaxSeconds === null ? undefined : Math.round(input.latencyMaxSeconds * 1000);
      if (max !== undefined && max < latencyMs) return 'latencyMaxSeconds is below latencySeconds';
      changes.latencyMs = latencyMs;
      if (max === undefined) delete b.latencyMaxMs;
      else changes.latencyMaxMs = max;
      for (const n of PERCENT_NAMES) {
        const v = input.percent?.[n];
        if (v !== undefined) changes[PERCENT_FIELDS[n]] = (v ?? 0) / 100;
      }
    } else {
      let target: string | undefined;
      if ('account' in input.scope) {
        if (!isAccount(input.scope.account)) return `unknown account ${input.scope.account}`;
        target = input.scope.account;
      } else {
        target = keyOf(input.scope.key);
        if (target === undefined) return `unknown key ${input.scope.key}`;
      }
      const own: Partial<KieRates> = { ...b.rates[target] };
      for (const n of PERCENT_NAMES) {
        const v = input.percent?.[n];
        if (v === null) delete own[PERCENT_FIELDS[n]];
        else if (v !== undefined) own[PERCENT_FIELDS[n]] = v / 100;
      }
      // A new object each time: the default behaviour's `rates` is shared by every sim started from it.
      const rates = { ...b.rates };
      if (Object.keys(own).length === 0) delete rates[target];
      else rates[target] = own;
      changes.rates = rates;
    }
    kie.setBehavior(changes);
    return undefined;
  }

  function setWithdrawn(id: string, withdrawn: boolean): boolean {
    if (!MODELS.has(id)) return false;
    if (withdrawn) core.withdrawn.add(id);
    else core.withdrawn.delete(id);
    return true;
  }

  return { view, apply, setWithdrawn };
}
export type KieControl = ReturnType<typeof kieControl>;
