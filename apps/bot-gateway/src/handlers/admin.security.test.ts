import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bot, type Context } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { silentLogger } from '@neurocards/platform/testing';
import { t } from '../i18n';
import { adminComposer } from './admin';

/**
 * Security (issue 7): every admin command works only for ADMIN_TG_IDS. For anyone else it
 * changes nothing, calls no service, and answers nothing of its own (the conversation then
 * treats it as an unknown command). Counter-check: the same text from an admin does call.
 */

const ADMINS = [42, 4242];
const botInfo = { id: 1, is_bot: true, first_name: 'Bot', username: 'neuro_bot' } as UserFromGetMe;

/** Every admin command, each with valid arguments (and the RPC it must call for an admin). */
const COMMANDS = [
  ['/grant 777 5', 'grant'],
  ['/balance 777', 'balance'],
  ['/stats', 'orchestrator+kieKeys'],
  ['/keys', 'kieKeys'],
  ['/unblock acc1', 'unblock'],
  ['/model off veo3_fast', 'setModel'],
  ['/model on veo3_fast', 'setModel'],
  ['/refund stxCharge123', 'purchase+refund'],
] as const;

function setup() {
  const rpc: string[] = [];
  const sent: string[] = [];
  const fellThrough: string[] = [];
  const bot = new Bot<Context>('1:test', { botInfo });
  bot.api.config.use(async (_prev, method, payload) => {
    if (method === 'sendMessage') sent.push((payload as { text: string }).text);
    return { ok: true, result: { message_id: 1, date: 0, chat: { id: 1, type: 'private' } } } as never;
  });
  const call = <R>(name: string, result: R) => async () => {
    rpc.push(name);
    return result;
  };
  bot.use(
    adminComposer({
      admins: new Set(ADMINS),
      billing: {
        balance: call('balance', { userId: 777, balance: 3, held: 0 }),
        ledger: call('ledger', { lines: [] }),
        grant: call('grant', { grantId: 'g', userId: 777, balance: 8, applied: true }),
        purchase: call('purchase', { found: true, userId: 777, credits: 10, stars: 150, refunded: false, held: 0 }),
        refund: call('refund', { chargeId: 'c', found: true, userId: 777, credits: 10, takenBack: 10, notTakenBack: 0, alreadyRefunded: false, balance: 0 }),
      },
      stats: { orchestrator: call('orchestrator', null), kieKeys: call('kieKeys', null) },
      kie: {
        unblock: call('unblock', { unblocked: [], known: true }),
        setModel: call('setModel', { model: 'veo3_fast', known: true, offered: true }),
      },
      t,
      log: silentLogger(),
    }),
  );
  bot.on('message:text', (ctx) => void fellThrough.push(ctx.message.text));
  let updateId = 0;
  /** A private message, or a group message in a chat whose id is an admin's. */
  const say = (from: number, text: string, chatId = from) =>
    bot.handleUpdate({
      update_id: ++updateId,
      message: {
        message_id: updateId,
        date: 0,
        chat: chatId === from ? { id: chatId, type: 'private', first_name: 'U' } : { id: chatId, type: 'group', title: 'G' },
        from: { id: from, is_bot: false, first_name: 'U', language_code: 'en' },
        text,
        entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }],
      },
    } as Update);
  return { rpc, sent, fellThrough, say };
}

describe('admin commands are for ADMIN_TG_IDS only', () => {
  it.each(COMMANDS)('%s from a non-admin calls nothing and says nothing', async (text) => {
    const s = setup();
    await s.say(77, text);
    await s.say(77, text.replace(/^\/(\w+)/, '/$1@neuro_bot'));
    // In a chat whose id happens to be an admin's: the sender counts, not the chat.
    await s.say(77, text, ADMINS[0]);
    expect(s.rpc).toEqual([]);
    expect(s.sent).toEqual([]);
    expect(s.fellThrough).toHaveLength(3);
  });

  it.each(COMMANDS)('%s from an admin calls %s', async (text, method) => {
    const s = setup();
    await s.say(ADMINS[1]!, text);
    expect(s.rpc).toEqual(method.split('+'));
    expect(s.sent).toHaveLength(1);
  });

  it('no sender outside ADMIN_TG_IDS reaches any service, whatever the command and arguments', async () => {
    const s = setup();
    const sender = fc.oneof(fc.integer({ min: 1, max: 2 ** 52 }), fc.constantFrom(41, 43, 424, 42420, 0)).filter(
      (id) => !ADMINS.includes(id),
    );
    const args = fc.array(fc.oneof(fc.constantFrom('777', '5', 'on', 'off', 'veo3_fast', 'acc1', '-1', '1e9'), fc.string({ maxLength: 12 })), {
      maxLength: 3,
    });
    const name = fc.constantFrom('grant', 'balance', 'stats', 'keys', 'unblock', 'model', 'refund');
    await fc.assert(
      fc.asyncProperty(sender, name, args, async (from, cmd, a) => {
        await s.say(from, [`/${cmd}`, ...a].join(' '));
      }),
      { numRuns: 2000 },
    );
    expect(s.rpc).toEqual([]);
    expect(s.sent).toEqual([]);
  }, 120_000);
});
