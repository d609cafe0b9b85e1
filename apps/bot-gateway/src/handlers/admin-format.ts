import type { Locale, RpcResponse } from '@neurocards/contracts';
import type { T, TextKey } from '../i18n';

/** Admin answers built from the services' stats replies: pure, so tests feed sample replies. */

type KieStats = RpcResponse<'kie.keys.stats'>;
type State = KieStats['keys'][number]['state'];

const STATE_TEXT: Record<State, TextKey> = {
  ok: 'adminStateOk',
  cooling: 'adminStateCooling',
  blocked: 'adminStateBlocked',
};

/** `2026-11-30T22:10:05.123Z` → `2026-11-30 22:10 UTC`; anything unparseable as it came. */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "blocked until … (why)" or "ok": the state with its end and reason when it has them. */
function stateText(t: T, locale: Locale, s: { state: State; until: string | null; reason?: string | null }) {
  let out = t(locale, STATE_TEXT[s.state]);
  if (s.state !== 'ok' && s.until) out += ` ${t(locale, 'adminUntil', { until: formatTime(s.until) })}`;
  if (s.state !== 'ok' && s.reason) out += ` (${s.reason})`;
  return out;
}

function creditsText(t: T, locale: Locale, a: KieStats['accounts'][number]): string {
  if (a.credits === null) return t(locale, 'adminCreditsUnknown');
  const checked = a.creditsCheckedAt ? formatTime(a.creditsCheckedAt) : '?';
  return t(locale, 'adminCredits', { credits: a.credits, checked });
}

/** `/keys`: every account with its keys, then every model. */
export function formatKeysReport(t: T, locale: Locale, s: KieStats | null): string {
  if (!s) return t(locale, 'adminStatsKieDown');
  const lines = [t(locale, 'adminKeysTitle', { queue: s.queueDepth })];
  const accounts = new Set([...s.accounts.map((a) => a.name), ...s.keys.map((k) => k.account)]);
  for (const name of accounts) {
    const a = s.accounts.find((x) => x.name === name);
    lines.push(
      a
        ? t(locale, 'adminAccountLine', {
            name,
            state: stateText(t, locale, a),
            budgetUsed: a.budgetUsed,
            budgetLimit: a.budgetLimit,
            inFlight: a.inFlight,
            maxInFlight: a.maxInFlight,
            credits: creditsText(t, locale, a),
          })
        : t(locale, 'adminAccountUnknownLine', { name }),
    );
    for (const k of s.keys.filter((x) => x.account === name)) {
      lines.push(t(locale, 'adminKeyOfAccountLine', { name: k.name, state: stateText(t, locale, k), inFlight: k.inFlight }));
    }
  }
  if (accounts.size === 0) lines.push(t(locale, 'none'));
  lines.push('', t(locale, 'adminModelsTitle'));
  for (const m of s.models) lines.push(modelLine(t, locale, m));
  if (s.models.length === 0) lines.push(t(locale, 'none'));
  return lines.join('\n');
}

function modelLine(t: T, locale: Locale, m: KieStats['models'][number]): string {
  const status = m.offered
    ? t(locale, 'adminModelOffered')
    : m.disabledBy === 'admin'
      ? t(locale, 'adminModelOffByAdmin')
      : t(locale, 'adminModelNotOffered');
  const where =
    m.unavailableOn.length > 0 ? ` ${t(locale, 'adminModelUnavailableOn', { accounts: m.unavailableOn.join(', ') })}` : '';
  return t(locale, 'adminModelLine', { id: m.id, status: `${status}${where}` });
}

/** `/stats`: the queue, each key's state, and each account's KIE credits. */
export function formatKeysStats(t: T, locale: Locale, s: KieStats | null): string {
  if (!s) return t(locale, 'adminStatsKieDown');
  const keys = s.keys.map((k) => {
    const line = t(locale, 'adminKeyLine', { name: k.name, state: k.state, inFlight: k.inFlight });
    return k.until ? t(locale, 'adminKeyUntil', { line, until: k.until }) : line;
  });
  const text = t(locale, 'adminStatsKeys', { queue: s.queueDepth, keys: keys.join('\n') || t(locale, 'none') });
  const credits = s.accounts.map((a) => t(locale, 'adminAccountCreditsLine', { name: a.name, credits: creditsText(t, locale, a) }));
  return credits.length > 0 ? `${text}\n${t(locale, 'adminStatsCredits')}\n${credits.join('\n')}` : text;
}
