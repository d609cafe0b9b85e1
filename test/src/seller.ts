import type { Stack } from './stack';

type SimUser = { userId: number; languageCode?: string; firstName?: string };
type SimMessage = ReturnType<Stack['tg']['botMessages']>[number];

/** A tiny valid JPEG (1×1 px), what a seller's phone would send, only smaller. */
export const PRODUCT_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==',
  'base64',
);

const buttons = (m: SimMessage) => (m.replyMarkup?.inline_keyboard ?? []).flat();

/** Waits for a bot message in the chat with a button whose text matches, and presses it. */
export async function press(stack: Stack, user: SimUser, label: RegExp, after = 0): Promise<SimMessage> {
  const msg = await stack.tg.waitForBotMessage(
    user.userId,
    (m) => m.messageId > after && buttons(m).some((b) => label.test(b.text) && b.callback_data),
    30_000,
  );
  const button = buttons(msg).find((b) => label.test(b.text) && b.callback_data)!;
  await stack.tg.userPresses(user, msg.messageId, button.callback_data!);
  return msg;
}

/** The last message id the bot sent to the chat (0 if none). */
export const lastBotMessageId = (stack: Stack, chatId: number) =>
  stack.tg.botMessages(chatId).reduce((max, m) => Math.max(max, m.messageId), 0);

/** Choices at the video step; what is not given stays at the pre-selected default. */
export interface VideoChoice {
  /** The model's label as the bot shows it (e.g. /Kling 3\.0/). */
  model?: RegExp;
  format?: 'portrait' | 'landscape';
  seconds?: number;
}

const DRAFT_STEP_MS = 30_000;

/**
 * Plays a seller through the whole journey, as a person would in the chat:
 * photo → template → wishes (or Skip) → video (model, format, length, or the defaults) →
 * count → confirm. The bot builds the order in one message edited in place, so each step
 * waits for that message to show the next step's buttons.
 */
export async function orderVideos(
  stack: Stack,
  user: SimUser,
  count: 1 | 3 | 5,
  wishes?: string,
  choice: VideoChoice = {},
): Promise<void> {
  const mark = lastBotMessageId(stack, user.userId);
  await stack.tg.userSends(user, { photo: { bytes: PRODUCT_JPEG } });
  const draft = await stack.tg.waitForBotMessage(
    user.userId,
    (m) => m.messageId > mark && buttons(m).some((b) => b.callback_data?.startsWith('tpl:')),
    DRAFT_STEP_MS,
  );
  const id = draft.messageId;
  /** The draft message once it has a button whose data matches `data` (and text `text`). */
  const when = (data: RegExp, text: RegExp = /./) =>
    stack.tg.waitForBotMessage(
      user.userId,
      (m) => m.messageId === id && buttons(m).some((b) => data.test(b.callback_data ?? '') && text.test(b.text)),
      DRAFT_STEP_MS,
    );
  const tap = async (data: RegExp, text: RegExp = /./) => {
    const m = await when(data, text);
    const b = buttons(m).find((x) => data.test(x.callback_data ?? '') && text.test(x.text))!;
    await stack.tg.userPresses(user, id, b.callback_data!);
  };
  await tap(/^tpl:.+:ugc$/);
  if (wishes) {
    await stack.tg.waitForBotMessage(user.userId, (m) => m.messageId === id && /пожелани|wishes/i.test(m.text ?? ''), DRAFT_STEP_MS);
    await stack.tg.userSends(user, { text: wishes });
  } else {
    await tap(/^skip:/);
  }
  await when(/^next:/);
  const selected = /^✓ /;
  if (choice.model) {
    await tap(/^mdl:/, choice.model);
    await when(/^mdl:/, new RegExp(`^✓ .*${choice.model.source}`));
  }
  if (choice.format) {
    const code = choice.format === 'portrait' ? 'p' : 'l';
    await tap(new RegExp(`^fmt:.+:${code}$`));
    await when(new RegExp(`^fmt:.+:${code}$`), selected);
  }
  if (choice.seconds) {
    await tap(new RegExp(`^len:.+:${choice.seconds}$`));
    await when(new RegExp(`^len:.+:${choice.seconds}$`), selected);
  }
  await tap(/^next:/);
  await tap(new RegExp(`^cnt:.+:${count}$`));
  await tap(/^ok:/);
}

/** Grants credits the way an operator does: the admin's /grant command in the chat. */
export async function grantCredits(stack: Stack, adminId: number, userId: number, amount: number): Promise<void> {
  const admin = { userId: adminId, languageCode: 'en' };
  const mark = lastBotMessageId(stack, adminId);
  await stack.tg.userSends(admin, { text: `/grant ${userId} ${amount}` });
  await stack.tg.waitForBotMessage(adminId, (m) => m.messageId > mark && /\d/.test(m.text ?? ''), 30_000);
}

/**
 * An admin command in the chat, and the bot's answer to it: the first message after the
 * command that matches `answer` (alerts may reach the admin chat meanwhile).
 */
export async function adminSays(stack: Stack, adminId: number, text: string, answer: RegExp): Promise<string> {
  const admin = { userId: adminId, languageCode: 'en' };
  const mark = lastBotMessageId(stack, adminId);
  await stack.tg.userSends(admin, { text });
  const reply = await stack.tg.waitForBotMessage(adminId, (m) => m.messageId > mark && answer.test(m.text ?? ''), 30_000);
  return reply.text ?? '';
}
