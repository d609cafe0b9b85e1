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

/**
 * Plays a seller through the whole journey, as a person would in the chat:
 * photo → template → skip wishes → count → confirm.
 */
export async function orderVideos(stack: Stack, user: SimUser, count: 1 | 3 | 5, wishes?: string): Promise<void> {
  let mark = lastBotMessageId(stack, user.userId);
  await stack.tg.userSends(user, { photo: { bytes: PRODUCT_JPEG } });
  await press(stack, user, /UGC/i, mark);
  mark = lastBotMessageId(stack, user.userId);
  if (wishes) {
    await stack.tg.waitForBotMessage(user.userId, (m) => m.messageId > mark - 1 && /пожелани|wishes/i.test(m.text ?? ''), 30_000);
    await stack.tg.userSends(user, { text: wishes });
  } else {
    await press(stack, user, /пропустить|skip/i, mark);
  }
  mark = lastBotMessageId(stack, user.userId);
  await press(stack, user, new RegExp(`(^|\\D)${count}(\\D|$)`), mark);
  mark = lastBotMessageId(stack, user.userId);
  await press(stack, user, /подтвер|confirm/i, mark);
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
