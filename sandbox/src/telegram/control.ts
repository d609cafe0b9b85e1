import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getMyCommands } from './bot-methods.js';
import { userPays } from './payments.js';
import type { ChatEntry, TelegramState } from './state.js';
import type { TelegramBehavior } from './types.js';
import type { UpdateQueue } from './updates.js';
import { userPresses, userSends } from './user.js';

// The JSON API behind the web chat page (sandbox/public). Not part of the Bot API.

const userFields = { firstName: z.string().optional(), languageCode: z.string().optional(), chatId: z.number().int().optional() };
const SendBody = z.object({
  ...userFields,
  text: z.string().optional(),
  photoBase64: z.string().optional(),
  document: z.object({ base64: z.string(), fileName: z.string(), mimeType: z.string() }).optional(),
  sticker: z.boolean().optional(),
});
const PressBody = z.object({ ...userFields, messageId: z.number().int(), data: z.string() });
const PayBody = z
  .object({
    ...userFields,
    messageId: z.number().int().optional(),
    link: z.string().optional(),
    redeliver: z.enum(['same', 'copy', 'both']).optional(),
  })
  .refine((b) => (b.messageId === undefined) !== (b.link === undefined), 'give exactly one of messageId and link');
const StarsBody = z.object({ balance: z.number().int().min(0) });

interface BotCommand {
  command: string;
  description: string;
}

/**
 * The command menu a user sees in a private chat, resolved as Telegram does
 * (https://core.telegram.org/bots/api#determining-list-of-commands): the first non-empty list of
 * chat scope + language, chat scope, all_private_chats + language, all_private_chats,
 * default + language, default.
 */
export async function menuOf(state: TelegramState, chatId: number, languageCode: string): Promise<{ scope: string; languageCode: string; commands: BotCommand[] }> {
  const lang = /^[a-z]{2}/i.exec(languageCode)?.[0]?.toLowerCase() ?? '';
  const scopes = [{ type: 'chat', chat_id: chatId }, { type: 'all_private_chats' }, { type: 'default' }];
  for (const scope of scopes) {
    for (const language of lang === '' ? [''] : [lang, '']) {
      const values: Record<string, unknown> = { scope, ...(language !== '' ? { language_code: language } : {}) };
      const reply = await getMyCommands({
        state,
        params: { values, files: new Map() },
        // getMyCommands reads only the state and the parameters.
        queue: undefined as never,
        behavior: undefined as never,
        gone: () => false,
        onGone: () => undefined,
      });
      const commands = reply.result as BotCommand[];
      if (commands.length > 0) return { scope: scope.type, languageCode: language, commands };
    }
  }
  return { scope: 'default', languageCode: '', commands: [] };
}

function paymentView(e: ChatEntry, state: TelegramState): Record<string, unknown> {
  const m = e.msg;
  const ledger = state.payments;
  if (m.invoice) {
    const charge = ledger.chargeOfMessage(m.chat.id, m.message_id);
    const refusal = ledger.refusals.filter((r) => r.chatId === m.chat.id && 'messageId' in r.source && r.source.messageId === m.message_id).at(-1);
    return {
      kind: 'invoice',
      invoice: {
        title: m.invoice.title,
        description: m.invoice.description,
        currency: m.invoice.currency,
        totalAmount: m.invoice.total_amount,
        paid: charge !== undefined,
        ...(refusal && !charge ? { refusal: refusal.errorMessage } : {}),
      },
    };
  }
  if (m.successful_payment) {
    const p = m.successful_payment;
    return { kind: 'payment', payment: { totalAmount: p.total_amount, currency: p.currency, refunded: ledger.charges.get(p.telegram_payment_charge_id)?.refundedAt !== undefined } };
  }
  if (m.refunded_payment) return { kind: 'refund', refund: { totalAmount: m.refunded_payment.total_amount, currency: m.refunded_payment.currency } };
  return {};
}

function view(e: ChatEntry, state: TelegramState): Record<string, unknown> {
  const m = e.msg;
  const fileId = m.video?.file_id ?? m.photo?.at(-1)?.file_id ?? m.document?.file_id ?? m.sticker?.file_id;
  const file = fileId === undefined ? undefined : state.files.get(fileId);
  return {
    from: e.from,
    messageId: m.message_id,
    kind: m.video ? 'video' : m.photo ? 'photo' : m.document ? 'document' : m.sticker ? 'sticker' : 'text',
    text: m.text ?? m.caption ?? '',
    buttons: m.reply_markup?.inline_keyboard ?? [],
    fileUrl: file ? `/_sim/files/${encodeURIComponent(file.fileId)}` : undefined,
    fileName: m.document?.file_name,
    mimeType: file?.mimeType,
    sizeBytes: file?.bytes.length,
    edited: e.edited,
    date: m.date,
    ...paymentView(e, state),
  };
}

export function registerControlApi(app: FastifyInstance, deps: { state: TelegramState; queue: UpdateQueue; behavior: TelegramBehavior }): void {
  const { state, queue } = deps;
  const user = (userId: string, body: { firstName?: string; languageCode?: string; chatId?: number }) => {
    const u = {
      userId: Number(userId),
      ...(body.chatId !== undefined ? { chatId: body.chatId } : {}),
      ...(body.firstName ? { firstName: body.firstName } : {}),
      ...(body.languageCode ? { languageCode: body.languageCode } : {}),
    };
    // A Telegram client sends its current name and app language with every update: the page's
    // name and language fields apply to a chat that already exists too (a known demo user's).
    const known = state.chats.get(u.chatId ?? u.userId);
    if (known !== undefined && known.user.id === u.userId) {
      if (u.firstName !== undefined) known.user.first_name = known.chat.first_name = u.firstName;
      if (u.languageCode !== undefined) known.user.language_code = u.languageCode;
    }
    return u;
  };

  app.get('/_sim/info', async () => ({
    bot: state.botUser,
    mode: queue.webhook ? 'webhook' : 'polling',
    pendingUpdates: queue.pendingCount,
    behavior: deps.behavior,
  }));

  app.get('/_sim/chats', async () => ({
    chats: [...state.chats.values()].map((c) => ({ chatId: c.chat.id, userId: c.user.id, firstName: c.user.first_name, messages: c.entries.length })),
  }));

  app.post('/_sim/users/:userId/messages', async (req, reply) => {
    const body = SendBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: body.error.message });
    const b = body.data;
    try {
      return userSends(state, queue, user((req.params as { userId: string }).userId, b), {
        ...(b.text !== undefined ? { text: b.text } : {}),
        ...(b.photoBase64 ? { photo: { bytes: new Uint8Array(Buffer.from(b.photoBase64, 'base64')) } } : {}),
        ...(b.document ? { document: { bytes: new Uint8Array(Buffer.from(b.document.base64, 'base64')), fileName: b.document.fileName, mimeType: b.document.mimeType } } : {}),
        ...(b.sticker ? { sticker: true as const } : {}),
      });
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });

  app.post('/_sim/users/:userId/press', async (req, reply) => {
    const body = PressBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: body.error.message });
    try {
      return userPresses(state, queue, user((req.params as { userId: string }).userId, body.data), body.data.messageId, body.data.data);
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });

  app.get('/_sim/chats/:chatId/messages', async (req) => {
    const chat = state.chats.get(Number((req.params as { chatId: string }).chatId));
    const answers = state.answers.filter((a) => state.callbackQueries.get(a.callbackQueryId)?.chatId === chat?.chat.id);
    const action = chat?.lastAction && Date.now() - chat.lastAction.at < 5000 ? chat.lastAction.action : undefined;
    return {
      messages: chat ? chat.entries.map((e) => view(e, state)) : [],
      callbackAnswers: answers,
      action,
      stars: chat ? state.payments.balance(chat.user.id) : undefined,
      user: chat ? { userId: chat.user.id, firstName: chat.user.first_name, languageCode: chat.user.language_code, blocked: chat.blocked } : undefined,
    };
  });

  /** The bot's command menu for this user (setMyCommands per scope and language); `?languageCode=` overrides the user's. */
  app.get('/_sim/users/:userId/commands', async (req) => {
    const userId = Number((req.params as { userId: string }).userId);
    const chat = state.chats.get(userId);
    const languageCode = (req.query as { languageCode?: string }).languageCode ?? chat?.user.language_code ?? '';
    return { userId, ...(await menuOf(state, chat?.chat.id ?? userId, languageCode)) };
  });

  // ---- payments in Telegram Stars (the user's side) ----

  /** The user pays an invoice message or link; answers once the payment succeeded or failed (up to 10 s). */
  app.post('/_sim/users/:userId/pay', async (req, reply) => {
    const body = PayBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: body.error.message });
    const b = body.data;
    try {
      const target = b.link !== undefined ? { link: b.link } : { messageId: b.messageId ?? 0 };
      return await userPays(state, queue, () => deps.behavior, user((req.params as { userId: string }).userId, b), target, b.redeliver ? { redeliver: b.redeliver } : {});
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
  });

  app.get('/_sim/users/:userId/stars', async (req) => {
    const userId = Number((req.params as { userId: string }).userId);
    return { userId, balance: state.payments.balance(userId) };
  });

  app.put('/_sim/users/:userId/stars', async (req, reply) => {
    const body = StarsBody.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ error: body.error.message });
    const userId = Number((req.params as { userId: string }).userId);
    state.payments.setBalance(userId, body.data.balance);
    return { userId, balance: body.data.balance };
  });

  /** Charges, failed payments (with the error the user saw) and refunds; `?userId=` narrows to one user. */
  app.get('/_sim/payments', async (req) => {
    const raw = (req.query as { userId?: string }).userId;
    const only = raw === undefined ? undefined : Number(raw);
    const mine = <T extends { userId: number }>(xs: Iterable<T>): T[] => [...xs].filter((x) => only === undefined || x.userId === only);
    return { charges: mine(state.payments.charges.values()), refusals: mine(state.payments.refusals), refunds: mine(state.payments.refunds) };
  });

  /** Delivers an update again with the same update_id, as Telegram sometimes does. */
  app.post('/_sim/updates/:updateId/redeliver', async (req, reply) => {
    try {
      queue.redeliver(Number((req.params as { updateId: string }).updateId));
      return { ok: true };
    } catch (err) {
      return reply.code(404).send({ error: (err as Error).message });
    }
  });

  app.get('/_sim/files/:fileId', async (req, reply) => {
    const file = state.files.get((req.params as { fileId: string }).fileId);
    if (file === undefined) return reply.code(404).send({ error: 'no such file' });
    return reply.type(file.mimeType).header('content-disposition', `inline; filename="${file.filePath.split('/').pop() ?? 'file'}"`).send(Buffer.from(file.bytes));
  });
}
