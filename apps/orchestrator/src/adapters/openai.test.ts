import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The simulator is not a dependency of this package; a relative import keeps the lockfile untouched.
import { startOpenAiSim, TINY_PNG, type OpenAiSim } from '@neurocards/sandbox';
import { buildChatMessages, toDataUrl } from '../domain/prompt';
import { createOpenAiWriter, PromptWriterError } from './openai';

let sim: OpenAiSim;
beforeAll(async () => {
  sim = await startOpenAiSim({ apiKey: 'sk-test' });
});
afterAll(() => sim?.close());

const writer = (apiKey = 'sk-test') =>
  createOpenAiWriter({ apiKey, baseURL: sim.baseUrl, model: 'gpt-4o-mini', timeoutMs: 5000, maxRetries: 0 });
const messages = () =>
  buildChatMessages(
    { template: 'ugc', wishes: 'Покажи в руках', index: 1, count: 1, locale: 'ru', durationSeconds: 10, aspectRatio: 'portrait' },
    toDataUrl('image/png', TINY_PNG),
  );

type Body = { model: string; messages: Array<{ role: string; content: unknown }> };

describe('OpenAI prompt writer (against the simulator)', () => {
  it('sends the photo as a base64 data URL with the template instructions and gets a prompt back', async () => {
    const text = await writer().write(messages());
    expect(text && text.length).toBeGreaterThan(20);
    const body = sim.requests().at(-1) as Body;
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.messages[0]).toMatchObject({ role: 'system' });
    const parts = body.messages[1]!.content as Array<{ type: string; image_url?: { url: string } }>;
    const url = parts.find((p) => p.type === 'image_url')!.image_url!.url;
    expect(url).toBe(`data:image/png;base64,${Buffer.from(TINY_PNG).toString('base64')}`);
    expect(JSON.stringify(body)).not.toMatch(/api\.telegram\.org|\/bot\d/);
  });

  it('reports a 500 as transient', async () => {
    sim.setBehavior({ failNext: 1 });
    const err = await writer().write(messages()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptWriterError);
    expect(err).toMatchObject({ kind: 'transient', status: 500 });
  });

  it('reports a 401 (wrong key) as permanent, without the key in the message', async () => {
    const err = await writer('sk-wrong-secret-key').write(messages()).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'permanent', status: 401 });
    expect((err as Error).message).not.toContain('sk-wrong-secret-key');
  });
});
