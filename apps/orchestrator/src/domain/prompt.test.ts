import { describe, expect, it } from 'vitest';
import {
  afterGptFailure,
  buildChatMessages,
  classifyOpenAiStatus,
  cleanPrompt,
  PROMPT_GPT_DELIVERIES,
  toDataUrl,
  type PromptInput,
} from './prompt';
import { PROMPT_MAX_LENGTH, templates } from './templates';

const input: PromptInput = {
  template: 'ugc',
  wishes: 'Девушка на кухне',
  index: 2,
  count: 3,
  locale: 'ru',
  durationSeconds: 10,
  aspectRatio: 'portrait',
};

describe('buildChatMessages', () => {
  const url = toDataUrl('image/png', new Uint8Array([137, 80, 78, 71]));

  it('sends the template instructions as system and the photo as a base64 data URL', () => {
    const [system, user] = buildChatMessages(input, url);
    expect(system).toEqual({ role: 'system', content: templates.ugc.instructions });
    expect(user?.role).toBe('user');
    const parts = user!.content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
    expect(parts.find((p) => p.type === 'image_url')?.image_url?.url).toBe('data:image/png;base64,iVBORw==');
    const text = parts.find((p) => p.type === 'text')!.text!;
    expect(text).toContain('Video 2 of 3');
    expect(text).toContain('Девушка на кухне');
    expect(text).toContain('Spoken language: Russian');
    expect(text).toContain('10 seconds, vertical 9:16');
  });

  it('gives each video of an order its own direction', () => {
    const texts = [1, 2, 3].map((index) => JSON.stringify(buildChatMessages({ ...input, index }, url)[1]));
    expect(new Set(texts).size).toBe(3);
  });

  it('tells GPT to decide alone when there are no wishes', () => {
    expect(JSON.stringify(buildChatMessages({ ...input, wishes: '  ' }, url))).toContain('none — decide from the photo');
  });
});

describe('cleanPrompt', () => {
  const body = 'A woman in a sunlit kitchen holds the product close to the camera and smiles.';

  it('strips fences, labels and wrapping quotes', () => {
    expect(cleanPrompt('```\n' + body + '\n```')).toBe(body);
    expect(cleanPrompt('Prompt: ' + body)).toBe(body);
    expect(cleanPrompt(`"${body}"`)).toBe(body);
    expect(cleanPrompt(`  ${body}  `)).toBe(body);
  });

  it('keeps inner quotes (spoken lines)', () => {
    const text = `She says "Смотрите, какая штука!" and smiles at the camera warmly.`;
    expect(cleanPrompt(text)).toBe(text);
  });

  it('rejects empty or trivial answers', () => {
    expect(cleanPrompt(null)).toBeNull();
    expect(cleanPrompt('')).toBeNull();
    expect(cleanPrompt('Sorry.')).toBeNull();
  });

  it('cuts an over-long answer at a sentence end within the KIE limit', () => {
    const long = 'The camera moves slowly around the product. '.repeat(400);
    const out = cleanPrompt(long)!;
    expect(out.length).toBeLessThanOrEqual(PROMPT_MAX_LENGTH);
    expect(out.endsWith('.')).toBe(true);
  });
});

describe('OpenAI failure handling', () => {
  it('classifies statuses', () => {
    expect(classifyOpenAiStatus(undefined)).toBe('transient');
    for (const s of [408, 409, 429, 500, 502, 503]) expect(classifyOpenAiStatus(s)).toBe('transient');
    for (const s of [400, 401, 403, 404, 422]) expect(classifyOpenAiStatus(s)).toBe('permanent');
  });

  it('falls back at once on a permanent failure and after a few transient ones', () => {
    expect(afterGptFailure('permanent', 1)).toBe('fallback');
    expect(afterGptFailure('transient', 1)).toBe('retry');
    expect(afterGptFailure('transient', PROMPT_GPT_DELIVERIES - 1)).toBe('retry');
    expect(afterGptFailure('transient', PROMPT_GPT_DELIVERIES)).toBe('fallback');
  });
});
