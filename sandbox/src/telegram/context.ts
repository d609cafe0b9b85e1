import type { Params } from './params.js';
import type { TelegramState } from './state.js';
import type { TelegramBehavior } from './types.js';
import type { UpdateQueue } from './updates.js';

export interface Ctx {
  state: TelegramState;
  queue: UpdateQueue;
  params: Params;
  behavior: TelegramBehavior;
  /** True once the caller hung up (a long poll the client aborted). */
  gone: () => boolean;
  onGone: (cb: () => void) => void;
}
export interface Reply {
  result: unknown;
  description?: string;
}
export type Method = (ctx: Ctx) => Promise<Reply> | Reply;
