import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../shared/image.js';
import { startOpenAiSim } from './sim.js';
import type { OpenAiSim } from './sim.js';

let sim: OpenAiSim;
beforeAll(async () => {
  sim = await startOpenAiSim({ apiKey: 'sk-test' });
});
afterAll(async () => sim.close());

const dataUrl = `data:image/png;base64,${Buffer.from(TINY_PNG).toString('base64')}`;
const body = (imageUrl = dataUrl) => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You write prompts for a UGC video model.' },
    { role: 'user', content: [{ type: 'text', text: 'Ceramic mug, show it steaming' }, { type: 'image_url', image_url: { url: imageUrl } }] },
  ],
});

async function post(payload: unknown, key = 'sk-test'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sim.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('OpenAI chat completions simulator', () => {
  it('answers a chat.completion whose content is a video prompt built from the request', async () => {
    const r = await post(body());
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: 'chat.completion', model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant' } }] });
    const content = (r.body.choices as Array<{ message: { content: string } }>)[0]?.message.content ?? '';
    expect(content).toMatch(/UGC/);
    expect(content).toContain('Ceramic mug, show it steaming');
    expect(sim.requests().at(-1)).toEqual(body());
  });

  it('answers 401 with OpenAI error shape for a wrong key', async () => {
    const r = await post(body(), 'sk-wrong');
    expect(r.status).toBe(401);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
  });

  it('answers 500 server_error when told to fail', async () => {
    sim.setBehavior({ failNext: 1 });
    const r = await post(body());
    expect(r.status).toBe(500);
    expect(r.body.error).toMatchObject({ type: 'server_error', code: null });
    expect((await post(body())).status).toBe(200);
  });

  it('refuses a Telegram file URL (it would leak the bot token) and a body without messages', async () => {
    const leak = await post(body('https://api.telegram.org/file/bot123:ABC/photos/file_1.jpg'));
    expect(leak.status).toBe(400);
    expect(leak.body.error).toMatchObject({ code: 'invalid_image_url' });
    const empty = await post({ model: 'gpt-4o-mini', messages: [] });
    expect(empty.status).toBe(400);
  });
});

describe('videoPrompt', () => {
  it("carries the seller's quoted words even after a long preamble", async () => {
    const { videoPrompt } = await import('./prompt');
    const user = `${'Instructions. '.repeat(60)}\nSeller's wishes: """Show it next to a red mug"""`;
    expect(videoPrompt('UGC', user, true)).toContain('Show it next to a red mug');
  });
});

describe('videoPrompt per template', () => {
  it('follows the template the orchestrator names, whatever words the instructions or wishes use', async () => {
    const { videoPrompt } = await import('./prompt');
    const user = (id: string, wishes: string) => `Template: ${id} (v1).\nLength: 10 seconds, horizontal 16:9.\nSeller's wishes: """${wishes}"""`;
    expect(videoPrompt('a polished commercial', user('ugc', 'cinematic'), true)).toMatch(/^Authentic UGC-style horizontal video/);
    expect(videoPrompt('someone holding it', user('ad', 'a UGC vibe'), true)).toMatch(/^Polished commercial/);
    expect(videoPrompt('cinematic commercial ad', user('custom', 'a UGC ad'), true)).toMatch(/^The seller's own idea/);
  });
});
