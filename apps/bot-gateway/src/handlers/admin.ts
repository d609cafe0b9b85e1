import { Composer, type Context } from 'grammy';
import type { Locale, RpcResponse } from '@neurocards/contracts';
import { pickLocale } from '@neurocards/i18n';
import type { Logger } from '@neurocards/platform';
import type { BillingClient, StatsClient } from '../adapters/rpc-clients';
import { adminGrantId, parseAdminCommand, parseCommand, type AdminCommand } from '../domain/commands';
import type { T } from '../i18n';

export interface AdminDeps {
  admins: ReadonlySet<number>;
  billing: BillingClient;
  stats: StatsClient;
  t: T;
  log: Logger;
}

/**
 * `/grant`, `/balance`, `/stats` for ADMIN_TG_IDS. For everyone else these fall through to
 * the conversation, which answers them like any unknown command.
 */
export function adminComposer(deps: AdminDeps): Composer<Context> {
  const log = deps.log.child({ module: 'admin' });
  const c = new Composer<Context>();
  c.on('message:text', async (ctx, next) => {
    const cmd = parseCommand(ctx.message.text, ctx.me.username);
    const admin = cmd ? parseAdminCommand(cmd) : null;
    if (!admin || !deps.admins.has(ctx.from.id)) return next();
    const locale = pickLocale(ctx.from.language_code);
    log.info({ adminId: ctx.from.id, command: admin.type, updateId: ctx.update.update_id }, 'admin command');
    await ctx.reply(await answer(ctx, admin, locale));
  });

  async function answer(ctx: Context, cmd: AdminCommand, locale: Locale): Promise<string> {
    const { t } = deps;
    switch (cmd.type) {
      case 'usage':
        return t(locale, cmd.command === 'grant' ? 'adminGrantUsage' : 'adminBalanceUsage');
      case 'grant':
        try {
          const g = await deps.billing.grant({
            grantId: adminGrantId(ctx.me.id, ctx.update.update_id),
            userId: cmd.userId,
            amount: cmd.amount,
            grantedBy: ctx.from!.id,
          });
          return g.applied
            ? t(locale, 'adminGranted', { amount: cmd.amount, userId: cmd.userId, balance: g.balance })
            : t(locale, 'adminGrantRepeated', { userId: cmd.userId, balance: g.balance });
        } catch (err) {
          // A timed-out grant may still have been applied: say so, rather than inviting a
          // second /grant (a new update, so a new grantId) that would grant twice.
          log.warn({ err, userId: cmd.userId }, 'grant outcome unknown');
          return t(locale, 'adminGrantUnknown', { userId: cmd.userId });
        }
      case 'balance': {
        const b = await deps.billing.balance(cmd.userId);
        if (!b) return t(locale, 'adminBillingDown');
        return t(locale, 'adminBalance', { userId: cmd.userId, balance: b.balance, held: b.held });
      }
      case 'stats': {
        const [orch, kie] = await Promise.all([deps.stats.orchestrator(), deps.stats.kieKeys()]);
        return [formatOrchestrator(t, locale, orch), formatKeys(t, locale, kie)].join('\n\n');
      }
    }
  }

  return c;
}

function formatOrchestrator(t: T, locale: Locale, s: RpcResponse<'orchestrator.stats.get'> | null): string {
  if (!s) return t(locale, 'adminStatsOrchestratorDown');
  const failed = Object.entries(s.failedTodayByReason)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ');
  return t(locale, 'adminStatsOrders', {
    orders: s.ordersToday,
    inFlight: s.jobsInFlight,
    failed: failed || t(locale, 'none'),
  });
}

function formatKeys(t: T, locale: Locale, s: RpcResponse<'kie.keys.stats'> | null): string {
  if (!s) return t(locale, 'adminStatsKieDown');
  const keys = s.keys.map((k) => {
    const line = t(locale, 'adminKeyLine', { name: k.name, state: k.state, inFlight: k.inFlight });
    return k.until ? t(locale, 'adminKeyUntil', { line, until: k.until }) : line;
  });
  return t(locale, 'adminStatsKeys', { queue: s.queueDepth, keys: keys.join('\n') || t(locale, 'none') });
}
