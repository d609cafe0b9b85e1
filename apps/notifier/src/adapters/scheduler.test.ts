import { describe, expect, it } from 'vitest';
import { parseRate, RateLimiter } from '../domain/token-bucket';
import { createSendScheduler, RateLimitedError } from './scheduler';

/** Virtual time: sleeps resolve in time order when `settle` advances the clock, no real waiting. */
function virtualTime() {
  let t = 0;
  const timers: Array<{ at: number; resolve: () => void }> = [];
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: t + ms, resolve })),
    async settle<T>(work: Promise<T>): Promise<T> {
      let done = false;
      const watched = work.finally(() => (done = true));
      watched.catch(() => undefined);
      for (let i = 0; i < 10_000 && !done; i++) {
        await new Promise((r) => setImmediate(r));
        if (done || timers.length === 0) continue;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift()!;
        t = Math.max(t, next.at);
        next.resolve();
      }
      return watched;
    },
  };
}

class Api429 extends Error {
  constructor(readonly retryAfterMs: number) {
    super('429');
  }
}

function setup(opts: { global?: string; chat?: string; maxWaitMs?: number } = {}) {
  const vt = virtualTime();
  const sent: Array<{ chatId: number; label: string; at: number }> = [];
  const scheduler = createSendScheduler({
    limiter: new RateLimiter(parseRate(opts.global ?? '30/1s'), parseRate(opts.chat ?? '1/1s'), 0),
    maxWaitMs: opts.maxWaitMs ?? 10_000,
    retryAfterOf: (err) => (err instanceof Api429 ? err.retryAfterMs : undefined),
    now: vt.now,
    sleep: vt.sleep,
  });
  const send = (chatId: number, label: string, fail?: () => Error | undefined) =>
    scheduler.run(chatId, async () => {
      const err = fail?.();
      if (err) throw err;
      sent.push({ chatId, label, at: vt.now() });
      return label;
    });
  return { vt, sent, send };
}

describe('send scheduler', () => {
  it('paces one chat at its rate, in order, without holding up another chat', async () => {
    const { vt, sent, send } = setup();
    const all = Promise.all([send(1, 'a1'), send(1, 'a2'), send(1, 'a3'), send(2, 'b1')]);
    expect(await vt.settle(all)).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(sent.filter((s) => s.chatId === 1)).toEqual([
      { chatId: 1, label: 'a1', at: 0 },
      { chatId: 1, label: 'a2', at: 1000 },
      { chatId: 1, label: 'a3', at: 2000 },
    ]);
    expect(sent.find((s) => s.label === 'b1')!.at).toBe(0);
  });

  it('keeps the total under the global rate', async () => {
    const { vt, sent, send } = setup({ global: '2/1s', chat: '5/1s' });
    await vt.settle(Promise.all([1, 2, 3, 4].map((c) => send(c, `m${c}`))));
    const times = sent.map((s) => s.at).sort((a, b) => a - b);
    expect(times).toEqual([0, 0, 500, 1000]);
  });

  it('honours a short retry_after in-process and sends again', async () => {
    const { vt, sent, send } = setup();
    let calls = 0;
    const result = await vt.settle(send(1, 'x', () => (++calls === 1 ? new Api429(3000) : undefined)));
    expect(result).toBe('x');
    expect(calls).toBe(2);
    expect(sent).toEqual([{ chatId: 1, label: 'x', at: 3000 }]);
  });

  it('gives a long retry_after back as RateLimitedError, and the chat stays paused', async () => {
    const { vt, sent, send } = setup({ maxWaitMs: 10_000 });
    let calls = 0;
    const first = vt.settle(send(1, 'x', () => (++calls, new Api429(30_000))));
    await expect(first).rejects.toMatchObject({ name: 'RateLimitedError', retryAfterMs: 30_000 });
    expect(calls).toBe(1);
    // The next message to that chat is not even tried: it would wait ~30 s.
    const second = vt.settle(send(1, 'y'));
    await expect(second).rejects.toBeInstanceOf(RateLimitedError);
    await expect(vt.settle(send(2, 'z'))).resolves.toBe('z');
    expect(sent.map((s) => s.label)).toEqual(['z']);
  });

  it('stops retrying after three 429s', async () => {
    const { vt, send } = setup();
    let calls = 0;
    await expect(vt.settle(send(1, 'x', () => (++calls, new Api429(1000))))).rejects.toBeInstanceOf(RateLimitedError);
    expect(calls).toBe(3);
  });

  it('passes other errors on and keeps the chat usable', async () => {
    const { vt, send } = setup();
    await expect(vt.settle(send(1, 'x', () => new Error('boom')))).rejects.toThrow('boom');
    await expect(vt.settle(send(1, 'y'))).resolves.toBe('y');
  });
});
