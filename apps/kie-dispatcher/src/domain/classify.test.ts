import { describe, expect, it } from 'vitest';
import { classify, effectiveCode, type KieFailure } from './classify';

const http = (
  status: number,
  code: number | null,
  message = 'x',
  retryAfterMs: number | null = null,
): KieFailure => ({
  kind: 'http',
  status,
  code,
  message,
  retryAfterMs,
});

describe('classify: HTTP status and body code', () => {
  it.each([
    // [status, body code, class, effective code]
    [401, null, 'billing', 401],
    [200, 401, 'billing', 401],
    [402, null, 'billing', 402],
    [200, 402, 'billing', 402],
    [400, 402, 'billing', 402],
    // 433 is one key's own cap (docs/design.md §1): cool that key, retry on another at once.
    [433, null, 'key_capped', 433],
    [200, 433, 'key_capped', 433],
    // 505 feature disabled for the account: our configuration, never the seller's.
    [505, null, 'config', 505],
    [200, 505, 'config', 505],
    // A 422 without content wording is validation of our request (see the 422 table below).
    [422, null, 'config', 422],
    [200, 422, 'config', 422],
    [451, null, 'transient', 451],
    [429, null, 'rate_limited', 429],
    [200, 429, 'rate_limited', 429],
    [455, null, 'transient', 455],
    [200, 455, 'transient', 455],
    [500, null, 'transient', 500],
    [500, 500, 'transient', 500],
    [200, 500, 'transient', 500],
    [501, null, 'transient', 501],
    [200, 501, 'transient', 501],
    [502, null, 'transient', 502],
    [503, 200, 'transient', 503],
    [504, null, 'transient', 504],
    [404, null, 'transient', 404],
  ] as const)('status %i, code %s → %s', (status, code, cls, eff) => {
    const c = classify(http(status, code));
    expect(c.class).toBe(cls);
    expect(c.code).toBe(eff);
  });

  it('asks for a re-upload after 451 (KIE could not fetch the photo)', () => {
    expect(classify(http(451, null, 'Failed to fetch the image: the URL is not reachable')).reupload).toBe(
      true,
    );
    expect(classify(http(500, null, 'boom')).reupload).toBeFalsy();
  });

  it('keeps Retry-After for a 429 only', () => {
    expect(classify(http(429, null, 'slow down', 7000)).retryAfterMs).toBe(7000);
    expect(classify(http(200, 429, 'slow down', null)).retryAfterMs).toBeNull();
    expect(classify(http(500, null, 'boom', 7000)).retryAfterMs).toBeNull();
  });

  it('prefers a non-200 body code over the status', () => {
    expect(effectiveCode(200, 402)).toBe(402);
    expect(effectiveCode(500, null)).toBe(500);
    expect(effectiveCode(500, 200)).toBe(500);
  });
});

describe('classify: 422 is read by its message', () => {
  it.each([
    // Validation of our request (KIE's wording on docs/issue pages): configuration.
    ['model not supported', 'config'],
    ['The model sora-2-image-to-video is not supported', 'config'],
    ['Model kling-3.0/video does not exist', 'config'],
    ['invalid aspect_ratio: must be one of 16:9, 9:16, 1:1', 'config'],
    ['input.n_frames is not a valid parameter', 'config'],
    ['input.duration must be one of: "5", "10", "15"', 'config'],
    ['Invalid parameter: imageUrls is required', 'config'],
    ['This model has been withdrawn', 'config'],
    ['taskId is required', 'config'],
    // The seller's content refused: their fault, never retried.
    [
      'Your prompt was flagged by the content moderation system as violating content policies.',
      'user_violation',
    ],
    ['The image contains sensitive content and cannot be processed', 'user_violation'],
    ['Prompt rejected: public figure detected', 'user_violation'],
    ['NSFW content detected', 'user_violation'],
  ] as const)('422 "%s" → %s', (message, cls) => {
    expect(classify(http(422, 422, message)).class).toBe(cls);
  });
});

describe('classify: no answer', () => {
  it.each(['network', 'timeout', 'deadline'] as const)('%s is transient', (kind) => {
    expect(classify({ kind, message: 'm' }).class).toBe('transient');
  });
});

describe('classify: task ended in fail', () => {
  it.each([
    ['content_policy', 'Your prompt violates our content policy', 'user_violation'],
    [null, 'Image flagged by moderation', 'user_violation'],
    ['400', 'The image contains sensitive content', 'user_violation'],
    [null, 'Prompt contains public figure', 'user_violation'],
    ['NSFW', null, 'user_violation'],
    ['400', 'Prompt was flagged as potentially violating our usage policies', 'user_violation'],
    [null, 'Rejected by the safety system: the image violates the guidelines', 'user_violation'],
    [null, 'Prohibited content detected in the input image', 'user_violation'],
    [null, 'Content moderation blocked this request', 'user_violation'],
    // Mentions content/policy/safety, but says nothing about the seller breaking rules.
    [null, 'failed to fetch content from image url', 'transient'],
    [null, 'Image content could not be decoded', 'transient'],
    [null, 'content-length mismatch while downloading the image', 'transient'],
    [null, 'retry policy exhausted upstream', 'transient'],
    [null, 'safety checker service unavailable', 'transient'],
    [null, 'upstream error: see the privacy policy', 'transient'],
    // A server-side failCode wins over any words: the model's infrastructure failed.
    ['500', 'content moderation service error', 'transient'],
    ['503', 'safety system flagged nothing: timeout', 'transient'],
    ['500', 'internal error, please retry', 'transient'],
    [null, 'generation timed out', 'transient'],
    [null, null, 'transient'],
  ] as const)('failCode %s, failMsg %s → %s', (failCode, failMsg, cls) => {
    expect(classify({ kind: 'task_failed', failCode, failMsg }).class).toBe(cls);
  });

  it('carries a numeric failCode as the code', () => {
    expect(classify({ kind: 'task_failed', failCode: '501', failMsg: 'failed' }).code).toBe(501);
    expect(classify({ kind: 'task_failed', failCode: 'X', failMsg: 'failed' }).code).toBeNull();
  });
});
