import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
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
  };
}

export function registerControlApi(app: FastifyInstance, deps: { state: TelegramState; queue: UpdateQueue; behavior: TelegramBehavior }): void {
  const { state, queue } = deps;
  const user = (userId: string, body: { firstName?: string; languageCode?: string; chatId?: number }) => ({
    userId: Number(userId),
    ...(body.chatId !== undefined ? { chatId: body.chatId } : {}),
    ...(body.firstName ? { firstName: body.firstName } : {}),
    ...(body.languageCode ? { languageCode: body.languageCode } : {}),
  });

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
    return { messages: chat ? chat.entries.map((e) => view(e, state)) : [], callbackAnswers: answers, action };
  });

  app.get('/_sim/files/:fileId', async (req, reply) => {
    const file = state.files.get((req.params as { fileId: string }).fileId);
    if (file === undefined) return reply.code(404).send({ error: 'no such file' });
    return reply.type(file.mimeType).header('content-disposition', `inline; filename="${file.filePath.split('/').pop() ?? 'file'}"`).send(Buffer.from(file.bytes));
  });
}
