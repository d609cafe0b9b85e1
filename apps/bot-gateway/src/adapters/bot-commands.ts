import type { Api } from 'grammy';
import type { BotCommand } from 'grammy/types';
import { locale as localeSchema, type Locale } from '@neurocards/contracts';
import type { Logger } from '@neurocards/platform';
import type { T, TextKey } from '../i18n';

/** The command menu of every user, and the extra commands of admins (descriptions from the locales). */
const USER_COMMANDS: Array<[string, TextKey]> = [
  ['start', 'cmdStart'],
  ['balance', 'cmdBalance'],
  ['orders', 'cmdOrders'],
  ['buy', 'cmdBuy'],
  ['language', 'cmdLanguage'],
  ['help', 'cmdHelp'],
  ['cancel', 'cmdCancel'],
  // Telegram asks bots that sell to answer /paysupport (https://telegram.org/tos/bots).
  ['paysupport', 'cmdPaySupport'],
  ['terms', 'cmdTerms'],
];
const ADMIN_COMMANDS: Array<[string, TextKey]> = [
  ['grant', 'cmdGrant'],
  ['stats', 'cmdStats'],
  ['keys', 'cmdKeys'],
  ['unblock', 'cmdUnblock'],
  ['model', 'cmdModel'],
  ['refund', 'cmdRefund'],
];

export function commandList(t: T, locale: Locale, admin: boolean): BotCommand[] {
  const list = admin ? [...USER_COMMANDS, ...ADMIN_COMMANDS] : USER_COMMANDS;
  return list.map(([command, key]) => ({ command, description: t(locale, key) }));
}

/**
 * Sets the command menus at start-up (idempotent: setMyCommands replaces the list of its
 * scope and language). Users: one list per language (`language_code`), Russian also as the
 * default for other languages; admins: their own chat-scoped list in each language.
 * https://core.telegram.org/bots/api#setmycommands, #botcommandscope. A failure is
 * logged, never fatal: the bot works without a menu.
 */
export async function setBotCommands(api: Api, t: T, admins: Iterable<number>, log: Logger): Promise<void> {
  const calls: Array<[BotCommand[], Parameters<Api['setMyCommands']>[1]]> = [[commandList(t, 'ru', false), {}]];
  for (const locale of localeSchema.options) calls.push([commandList(t, locale, false), { language_code: locale }]);
  for (const chatId of admins) {
    const scope = { type: 'chat' as const, chat_id: chatId };
    calls.push([commandList(t, 'ru', true), { scope }]);
    for (const locale of localeSchema.options) calls.push([commandList(t, locale, true), { scope, language_code: locale }]);
  }
  for (const [commands, other] of calls) {
    try {
      await api.setMyCommands(commands, other);
    } catch (err) {
      log.warn({ err, scope: other?.scope?.type ?? 'default', language: other?.language_code }, 'setMyCommands failed');
    }
  }
}
