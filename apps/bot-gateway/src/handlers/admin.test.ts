import { describe, expect, it } from 'vitest';
import { Bot, type Context } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { RpcRequest, RpcResponse } from '@neurocards/contracts';
import { RpcError } from '@neurocards/platform';
import { silentLogger } from '@neurocards/platform/testing';
import type { KieAdminClient, StatsClient } from '../adapters/rpc-clients';
import { t } from '../i18n';
import { adminComposer } from './admin';

/**
 * The admin commands against fake service clients: grammY handles real updates, and the
 * Bot API is answered in process (what the bot sends is recorded).
 */

const ADMIN = 42;
const SELLER = 77;
const botInfo = { id: 1, is_bot: true, first_name: 'Bot', username: 'neuro_bot' } as UserFromGetMe;

type Calls = { unblock: RpcRequest<'kie.keys.unblock'>[]; setModel: RpcRequest<'kie.models.set'>[] };

function setup(kie: Partial<KieAdminClient> = {}, stats?: RpcResponse<'kie.keys.stats'>) {
  const calls: Calls = { unblock: [], setModel: [] };
  const sent: string[] = [];
  const fellThrough: string[] = [];
  const bot = new Bot<Context>('1:test', { botInfo });
  bot.api.config.use(async (_prev, method, payload) => {
    if (method === 'sendMessage') sent.push((payload as { text: string }).text);
    const result = { message_id: sent.length, date: 0, chat: { id: ADMIN, type: 'private' } };
    return { ok: true, result } as never;
  });
  const statsClient: StatsClient = { orchestrator: async () => null, kieKeys: async () => stats ?? null };
  bot.use(
    adminComposer({
      admins: new Set([ADMIN]),
      billing: { balance: async () => null, ledger: async () => null, grant: () => Promise.reject(new Error('not used')), purchase: async () => null, refund: () => Promise.reject(new Error('not used')) },
      stats: statsClient,
      kie: {
        unblock: async (req) => {
          calls.unblock.push(req);
          return kie.unblock ? kie.unblock(req) : { unblocked: ['acc1/main', 'acc1/spare'], known: true };
        },
        setModel: async (req) => {
          calls.setModel.push(req);
          return kie.setModel ? kie.setModel(req) : { model: req.model, known: true, offered: req.enabled };
        },
      },
      t,
      log: silentLogger(),
    }),
  );
  // Stands for the conversation, which answers a non-admin like any unknown command.
  bot.on('message:text', (ctx) => void fellThrough.push(ctx.message.text));
  let updateId = 0;
  const say = (from: number, text: string) =>
    bot.handleUpdate({
      update_id: ++updateId,
      message: {
        message_id: updateId,
        date: 0,
        chat: { id: from, type: 'private', first_name: 'U' },
        from: { id: from, is_bot: false, first_name: 'U', language_code: 'en' },
        text,
        entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }],
      },
    } as Update);
  return { calls, sent, fellThrough, say };
}

describe('admin-only', () => {
  it.each(['/keys', '/unblock acc1', '/model off veo3_fast', '/model on veo3_fast', '/model maybe x'])(
    'a non-admin sending %s gets the unknown-command path and nothing is done',
    async (text) => {
      const s = setup();
      await s.say(SELLER, text);
      expect(s.fellThrough).toEqual([text]);
      expect(s.sent).toEqual([]);
      expect(s.calls).toEqual({ unblock: [], setModel: [] });
    },
  );
});

describe('/unblock', () => {
  it('asks kie-dispatcher with the admin id and names what was unblocked', async () => {
    const s = setup();
    await s.say(ADMIN, '/unblock acc1');
    expect(s.calls.unblock).toEqual([{ target: 'acc1', adminId: ADMIN }]);
    expect(s.sent).toEqual([t('en', 'adminUnblocked', { target: 'acc1', keys: 'acc1/main, acc1/spare' })]);
  });

  it('says when the name is unknown or nothing was blocked', async () => {
    const unknown = setup({ unblock: async () => ({ unblocked: [], known: false }) });
    await unknown.say(ADMIN, '/unblock nobody');
    expect(unknown.sent).toEqual([t('en', 'adminUnblockUnknown', { target: 'nobody' })]);
    const idle = setup({ unblock: async () => ({ unblocked: [], known: true }) });
    await idle.say(ADMIN, '/unblock acc1');
    expect(idle.sent).toEqual([t('en', 'adminUnblockNothing', { target: 'acc1' })]);
  });

  it('shows the usage without a target, and asks nothing', async () => {
    const s = setup();
    await s.say(ADMIN, '/unblock');
    expect(s.sent).toEqual([t('en', 'adminUnblockUsage')]);
    expect(s.calls.unblock).toEqual([]);
  });
});

describe('/model', () => {
  it('turns a model off and on with the admin id', async () => {
    const s = setup();
    await s.say(ADMIN, '/model off veo3_fast');
    await s.say(ADMIN, '/model on veo3_fast');
    expect(s.calls.setModel).toEqual([
      { model: 'veo3_fast', enabled: false, adminId: ADMIN },
      { model: 'veo3_fast', enabled: true, adminId: ADMIN },
    ]);
    expect(s.sent).toEqual([
      t('en', 'adminModelNowNotOffered', { model: 'veo3_fast' }),
      t('en', 'adminModelNowOffered', { model: 'veo3_fast' }),
    ]);
  });

  it('says when the model is not configured', async () => {
    const s = setup({ setModel: async (req) => ({ model: req.model, known: false, offered: false }) });
    await s.say(ADMIN, '/model on sora-2');
    expect(s.sent).toEqual([t('en', 'adminModelUnknown', { model: 'sora-2' })]);
  });

  it.each(['/model maybe x', '/model on', '/model off', '/model'])('%s shows the usage and asks nothing', async (text) => {
    const s = setup();
    await s.say(ADMIN, text);
    expect(s.sent).toEqual([t('en', 'adminModelUsage')]);
    expect(s.calls.setModel).toEqual([]);
  });
});

describe('kie-dispatcher trouble', () => {
  it('a timeout tells the admin the change may or may not have been made', async () => {
    const s = setup({ unblock: () => Promise.reject(new Error('TIMEOUT')) });
    await s.say(ADMIN, '/unblock acc1');
    expect(s.sent).toEqual([t('en', 'adminKieNoAnswer')]);
  });

  it('an error reply is shown with its message', async () => {
    const s = setup({ setModel: () => Promise.reject(new RpcError('INTERNAL', 'internal error')) });
    await s.say(ADMIN, '/model off veo3_fast');
    expect(s.sent).toEqual([t('en', 'adminKieRefused', { message: 'internal error' })]);
  });

  it('/keys without an answer says the dispatcher does not answer', async () => {
    const s = setup();
    await s.say(ADMIN, '/keys');
    expect(s.sent).toEqual([t('en', 'adminStatsKieDown')]);
  });
});
