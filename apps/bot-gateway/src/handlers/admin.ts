import { Composer, GrammyError, type Context } from 'grammy';
import type { Locale, RpcResponse } from '@neurocards/contracts';
import { pickLocale } from '@neurocards/i18n';
import { RpcError, type Logger } from '@neurocards/platform';
import type { BillingClient, KieAdminClient, StatsClient } from '../adapters/rpc-clients';
import { adminGrantId, parseAdminCommand, parseCommand, type AdminCommand } from '../domain/commands';
import type { T, TextKey } from '../i18n';
import { formatKeysReport, formatKeysStats } from './admin-format';

export interface AdminDeps {
  admins: ReadonlySet<number>;
  billing: BillingClient;
  stats: StatsClient;
  kie: KieAdminClient;
  /**
   * A user's language as their session holds it (chosen with /language, else their last
   * Telegram language); undefined for a user the bot has not talked to.
   */
  localeOf?: (userId: number) => Promise<Locale | undefined>;
  t: T;
  log: Logger;
}

const USAGE: Record<Extract<AdminCommand, { type: 'usage' }>['command'], TextKey> = {
  grant: 'adminGrantUsage',
  balance: 'adminBalanceUsage',
  unblock: 'adminUnblockUsage',
  model: 'adminModelUsage',
  refund: 'adminRefundUsage',
};

/**
 * `/grant`, `/balance`, `/stats`, `/keys`, `/unblock`, `/model` for ADMIN_TG_IDS. For
 * everyone else these fall through to the conversation, which answers them like any
 * unknown command.
 */
export function adminComposer(deps: AdminDeps): Composer<Context> {
  const log = deps.log.child({ module: 'admin' });
  const c = new Composer<Context>();
  /** A failed lookup only costs the language: the command still runs. */
  const localeOf = async (userId: number): Promise<Locale | undefined> => {
    try {
      return await deps.localeOf?.(userId);
    } catch (err) {
      log.warn({ err, userId }, 'language lookup failed');
      return undefined;
    }
  };
  c.on('message:text', async (ctx, next) => {
    const cmd = parseCommand(ctx.message.text, ctx.me.username);
    const admin = cmd ? parseAdminCommand(cmd) : null;
    if (!admin || !deps.admins.has(ctx.from.id)) return next();
    const locale = (await localeOf(ctx.from.id)) ?? pickLocale(ctx.from.language_code);
    log.info({ adminId: ctx.from.id, command: admin.type, updateId: ctx.update.update_id }, 'admin command');
    await ctx.reply(await answer(ctx, admin, locale));
  });

  async function answer(ctx: Context, cmd: AdminCommand, locale: Locale): Promise<string> {
    const { t } = deps;
    switch (cmd.type) {
      case 'usage':
        return t(locale, USAGE[cmd.command]);
      case 'grant':
        try {
          // The grant notice goes out in the recipient's language (billing passes it on).
          const recipientLocale = await localeOf(cmd.userId);
          const g = await deps.billing.grant({
            grantId: adminGrantId(ctx.me.id, ctx.update.update_id),
            userId: cmd.userId,
            amount: cmd.amount,
            grantedBy: ctx.from!.id,
            ...(recipientLocale ? { locale: recipientLocale } : {}),
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
        return [formatOrchestrator(t, locale, orch), formatKeysStats(t, locale, kie)].join('\n\n');
      }
      case 'keys':
        return formatKeysReport(t, locale, await deps.stats.kieKeys());
      case 'unblock':
        return kieChange(locale, cmd, async () => {
          const r = await deps.kie.unblock({ target: cmd.target, adminId: ctx.from!.id });
          log.info({ adminId: ctx.from!.id, target: cmd.target, ...r }, 'admin unblock');
          if (!r.known) return t(locale, 'adminUnblockUnknown', { target: cmd.target });
          if (r.unblocked.length === 0) return t(locale, 'adminUnblockNothing', { target: cmd.target });
          return t(locale, 'adminUnblocked', { target: cmd.target, keys: r.unblocked.join(', ') });
        });
      case 'refund':
        return refund(ctx, cmd.chargeId, locale);
      case 'model':
        return kieChange(locale, cmd, async () => {
          const r = await deps.kie.setModel({ model: cmd.model, enabled: cmd.enabled, adminId: ctx.from!.id });
          log.info({ adminId: ctx.from!.id, model: cmd.model, enabled: cmd.enabled, known: r.known, offered: r.offered }, 'admin model switch');
          if (!r.known) return t(locale, 'adminModelUnknown', { model: cmd.model });
          return t(locale, r.offered ? 'adminModelNowOffered' : 'adminModelNowNotOffered', { model: cmd.model });
        });
    }
  }

  /**
   * `/refund <charge_id>`: Telegram returns the Stars (refundStarPayment needs the buyer, which
   * billing knows), then billing takes back the purchase's unspent credits, once per charge.
   * Telegram's CHARGE_ALREADY_REFUNDED means an earlier /refund got that far: billing is asked
   * again, and answers what that refund did (or does it now, if billing did not answer then).
   */
  async function refund(ctx: Context, chargeId: string, locale: Locale): Promise<string> {
    const { t } = deps;
    const adminId = ctx.from!.id;
    const p = await deps.billing.purchase(chargeId);
    if (!p) return t(locale, 'adminRefundLookupFailed');
    if (!p.found || p.userId === null) return t(locale, 'adminRefundUnknown', { chargeId });
    // Credits held for videos in work come back to the balance if those videos fail: refunded
    // now, the buyer would keep both the Stars and those credits. Nothing is done until they settle.
    if (!p.refunded && p.held > 0) return t(locale, 'adminRefundHeld', { chargeId, userId: p.userId, held: p.held });
    if (!p.refunded) {
      try {
        await ctx.api.refundStarPayment(p.userId, chargeId);
      } catch (err) {
        const already = err instanceof GrammyError && /CHARGE_ALREADY_REFUNDED/i.test(err.description);
        if (!already) {
          log.warn({ err, chargeId, adminId }, 'Telegram refused the refund');
          const error = err instanceof GrammyError ? err.description : 'no answer';
          return t(locale, 'adminRefundTelegramRefused', { chargeId, error });
        }
        log.info({ chargeId, adminId }, 'charge already refunded at Telegram');
      }
    }
    try {
      const r = await deps.billing.refund({ chargeId, adminId });
      log.info({ chargeId, adminId, userId: r.userId, takenBack: r.takenBack, notTakenBack: r.notTakenBack, alreadyRefunded: r.alreadyRefunded }, 'admin refund');
      if (!r.found) return t(locale, 'adminRefundUnknown', { chargeId });
      const params = { chargeId, userId: r.userId ?? p.userId, credits: r.credits, takenBack: r.takenBack, notTakenBack: r.notTakenBack, balance: r.balance };
      return t(locale, r.alreadyRefunded ? 'adminRefundAlready' : 'adminRefundDone', params);
    } catch (err) {
      log.warn({ err, chargeId, adminId }, 'billing did not answer a refund');
      return t(locale, 'adminRefundBillingDown', { chargeId });
    }
  }

  /** A change in kie-dispatcher: its answer, or what the admin must know when there is none. */
  async function kieChange(locale: Locale, cmd: AdminCommand, change: () => Promise<string>): Promise<string> {
    try {
      return await change();
    } catch (err) {
      if (err instanceof RpcError) {
        log.warn({ err, command: cmd.type }, 'kie-dispatcher refused an admin change');
        return deps.t(locale, 'adminKieRefused', { message: err.message });
      }
      // No answer (down, timeout): the change may or may not have been made.
      log.warn({ err, command: cmd.type }, 'kie-dispatcher did not answer an admin change');
      return deps.t(locale, 'adminKieNoAnswer');
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
