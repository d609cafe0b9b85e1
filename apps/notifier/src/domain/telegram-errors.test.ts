import { describe, expect, it } from 'vitest';
import { classifySendFailure as classify, safeUrl, videoUndeliverableReason, type SendFailure } from './telegram-errors';

const api = (errorCode: number, description: string, extra: { retryAfterSec?: number; viaUrl?: boolean } = {}) =>
  classify({ type: 'api', errorCode, description, ...extra });

describe('classifySendFailure', () => {
  it('429 → rate limited for retry_after', () => {
    expect(api(429, 'Too Many Requests: retry after 7', { retryAfterSec: 7 })).toEqual({ kind: 'rate_limited', retryAfterMs: 7000 });
    expect(api(429, 'Too Many Requests')).toEqual({ kind: 'rate_limited', retryAfterMs: 1000 });
  });

  it('403 and gone chats → undeliverable', () => {
    expect(api(403, 'Forbidden: bot was blocked by the user').kind).toBe('undeliverable');
    expect(api(403, 'Forbidden: user is deactivated').kind).toBe('undeliverable');
    expect(api(400, 'Bad Request: chat not found').kind).toBe('undeliverable');
    expect(api(400, 'Bad Request: chat not found', { viaUrl: true }).kind).toBe('undeliverable');
  });

  it('a video URL Telegram will not fetch → upload instead', () => {
    expect(api(400, 'Bad Request: failed to get HTTP URL content', { viaUrl: true }).kind).toBe('url_refused');
    expect(api(400, 'Bad Request: wrong file identifier/HTTP URL specified', { viaUrl: true }).kind).toBe('url_refused');
    expect(api(413, 'Request Entity Too Large', { viaUrl: true }).kind).toBe('url_refused');
    // Only a URL send can be "refused as URL".
    expect(api(400, 'Bad Request: failed to get HTTP URL content').kind).toBe('rejected');
  });

  it('server trouble and no answer → transient', () => {
    expect(api(502, 'Bad Gateway').kind).toBe('transient');
    expect(classify({ type: 'network', message: 'ECONNRESET' }).kind).toBe('transient');
  });

  it('other 4xx → rejected (our bug, parked)', () => {
    expect(api(400, 'Bad Request: message is too long').kind).toBe('rejected');
    expect(api(401, 'Unauthorized').kind).toBe('rejected');
  });

  it('downloads: expired URL is final, server trouble is not; too large is undeliverable', () => {
    expect(classify({ type: 'download', status: 404, message: 'HTTP 404' }).kind).toBe('undeliverable');
    expect(classify({ type: 'download', status: 410, message: 'HTTP 410' }).kind).toBe('undeliverable');
    expect(classify({ type: 'download', status: 503, message: 'HTTP 503' }).kind).toBe('transient');
    expect(classify({ type: 'download', status: 429, message: 'HTTP 429' }).kind).toBe('transient');
    expect(classify({ type: 'download', message: 'socket hang up' }).kind).toBe('transient');
    expect(classify({ type: 'too_large', sizeBytes: 60e6 }).kind).toBe('undeliverable');
  });
});

describe('videoUndeliverableReason', () => {
  const reason = (f: SendFailure) => videoUndeliverableReason(classify(f), f);

  it('a chat that cannot receive it, an expired URL, a refused video → undeliverable', () => {
    expect(reason({ type: 'api', errorCode: 403, description: 'Forbidden: bot was blocked by the user' })).toBe(
      'Forbidden: bot was blocked by the user',
    );
    expect(reason({ type: 'download', status: 410, message: 'HTTP 410' })).toContain('410');
    expect(reason({ type: 'too_large', sizeBytes: 60e6 })).toContain('50 MB');
    expect(reason({ type: 'api', errorCode: 400, description: 'Bad Request: wrong file identifier' })).toContain('400');
  });

  it('anything that may pass, or a broken bot token, is not the video\'s fate', () => {
    expect(reason({ type: 'api', errorCode: 429, description: 'Too Many Requests', retryAfterSec: 3 })).toBeNull();
    expect(reason({ type: 'api', errorCode: 502, description: 'Bad Gateway' })).toBeNull();
    expect(reason({ type: 'network', message: 'ECONNRESET' })).toBeNull();
    expect(reason({ type: 'download', status: 503, message: 'HTTP 503' })).toBeNull();
    expect(reason({ type: 'api', errorCode: 401, description: 'Unauthorized' })).toBeNull();
    expect(reason({ type: 'api', errorCode: 404, description: 'Not Found' })).toBeNull();
  });
});

describe('safeUrl', () => {
  it('drops query strings, credentials and bot tokens', () => {
    expect(safeUrl('https://cdn.example/r/v.mp4?sig=SECRET&exp=1')).toBe('https://cdn.example/r/v.mp4?…');
    expect(safeUrl('https://user:pass@cdn.example/v.mp4')).toBe('https://cdn.example/v.mp4');
    expect(safeUrl('https://api.telegram.org/file/bot123:ABC-def/videos/1.mp4')).toBe(
      'https://api.telegram.org/file/bot<redacted>/videos/1.mp4',
    );
    expect(safeUrl('nope')).toBe('<invalid url>');
  });
});
