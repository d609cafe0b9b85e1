import type { Stack } from './stack';

type Call = ReturnType<Stack['tg']['apiCalls']>[number];

/** Bot API methods that put a message in a chat or change one: Telegram's limits count them. */
const MESSAGE_METHODS = new Set([
  'sendmessage',
  'editmessagetext',
  'editmessagereplymarkup',
  'editmessagecaption',
  'sendphoto',
  'sendvideo',
  'senddocument',
]);

export const isMessageCall = (c: Call) => MESSAGE_METHODS.has(c.method.toLowerCase());

/** The message calls Telegram (the simulator) accepted, in arrival order. */
export const acceptedMessages = (calls: Call[]) => calls.filter((c) => isMessageCall(c) && c.status === 200);

/** The message calls refused with 429. */
export const floodRefusals = (calls: Call[]) => calls.filter((c) => isMessageCall(c) && c.status === 429);

/** The most arrivals in any window of `windowMs` (half-open, [t, t + windowMs)). */
export function maxInWindow(times: number[], windowMs = 1000): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** Per chat, the most messages it got in any second; and the chat with the most. */
export function busiestChat(calls: Call[]): { chatId: number; perSecond: number } {
  const byChat = new Map<number, number[]>();
  for (const c of calls) {
    const id = Number(c.params.chat_id);
    byChat.set(id, [...(byChat.get(id) ?? []), c.at]);
  }
  let worst = { chatId: 0, perSecond: 0 };
  for (const [chatId, times] of byChat) {
    const n = maxInWindow(times);
    if (n > worst.perSecond) worst = { chatId, perSecond: n };
  }
  return worst;
}
