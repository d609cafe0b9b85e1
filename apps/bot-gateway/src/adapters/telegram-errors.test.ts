import { BotError, GrammyError, HttpError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { loggableError } from './telegram-errors';

const TOKEN = '123456:AAH-secret_token';

describe('loggableError', () => {
  it('drops the token from a wrapped network error', () => {
    const fetchErr = new Error(
      `request to https://api.telegram.org/bot${TOKEN}/getUpdates failed, reason: ECONNRESET`,
    );
    const e = loggableError(new HttpError("Network request for 'getUpdates' failed!", fetchErr));
    expect(e.message).toContain('getUpdates');
    expect(e.message).toContain('ECONNRESET');
    expect(JSON.stringify({ ...e, message: e.message, stack: e.stack })).not.toContain('AAH-secret_token');
  });

  it('unwraps a BotError without its context (which holds the API token)', () => {
    const ctx = { api: { token: TOKEN }, update: { update_id: 1 } };
    const inner = new GrammyError(
      "Call to 'sendMessage' failed!",
      { ok: false, error_code: 400, description: 'Bad Request' },
      'sendMessage',
      { text: 'private words' },
    );
    const e = loggableError(new BotError(inner, ctx as never));
    const json = JSON.stringify({ ...e, message: e.message });
    expect(json).not.toContain(TOKEN);
    expect(json).not.toContain('private words');
    expect(e).toMatchObject({ name: 'GrammyError', method: 'sendMessage', errorCode: 400 });
  });

  it('keeps other errors as they are', () => {
    const err = new Error('nats timeout');
    expect(loggableError(err)).toBe(err);
    expect(loggableError('x').message).toBe('x');
  });
});
