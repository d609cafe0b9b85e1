import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { baseApp } from '../shared/app.js';
import { listen, sleep } from '../shared/http.js';
import { textOf, videoPrompt } from './prompt.js';

export interface OpenAiBehavior {
  latencyMs: number;
  /** The next N requests answer 500 server_error. */
  failNext: number;
  /** The next N requests answer 429 rate_limit_exceeded (with retry-after). */
  rateLimitNext: number;
}
export interface OpenAiSimOptions {
  port?: number;
  host?: string;
  /** When set, only `Authorization: Bearer <apiKey>` is accepted. */
  apiKey?: string;
}
export interface OpenAiSim {
  baseUrl: string;
  close(): Promise<void>;
  /** Bodies of every /v1/chat/completions request, in order. */
  requests(): unknown[];
  setBehavior(b: Partial<OpenAiBehavior>): void;
}

type Part = { type?: string; text?: unknown; image_url?: { url?: unknown } };
type Msg = { role?: unknown; content?: unknown };
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

function error(reply: FastifyReply, status: number, message: string, type: string, code: string | null, param: string | null = null): FastifyReply {
  return reply.code(status).send({ error: { message, type, param, code } });
}

/** Validates a chat completion body; returns an error message, or undefined when fine. */
function invalid(body: unknown): { message: string; param: string; code: string | null } | undefined {
  const b = body as { model?: unknown; messages?: unknown } | null;
  if (b === null || typeof b !== 'object') return { message: 'We could not parse the JSON body of your request.', param: '', code: null };
  if (typeof b.model !== 'string' || b.model === '') return { message: "Missing required parameter: 'model'.", param: 'model', code: 'missing_required_parameter' };
  if (!Array.isArray(b.messages) || b.messages.length === 0) {
    return { message: "Invalid 'messages': empty array. Expected an array with minimum length 1.", param: 'messages', code: 'empty_array' };
  }
  for (const [i, m] of (b.messages as Msg[]).entries()) {
    if (!ROLES.has(String(m?.role))) return { message: `Invalid value: '${String(m?.role)}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.`, param: `messages[${i}].role`, code: 'invalid_value' };
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content as Part[]) {
      if (p?.type !== 'image_url') continue;
      const url = typeof p.image_url?.url === 'string' ? p.image_url.url : '';
      if (/^https?:\/\//i.test(url) && url.includes('/bot')) {
        // A Telegram file URL carries the bot token; it must never leave our system.
        return { message: 'Invalid image URL: refusing a Telegram file URL (it contains the bot token).', param: `messages[${i}].content`, code: 'invalid_image_url' };
      }
      if (!/^https?:\/\//i.test(url) && !/^data:image\/(png|jpeg|jpg|webp|gif);base64,[A-Za-z0-9+/=]+$/.test(url)) {
        return { message: "Invalid 'image_url'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,...') or an https URL.", param: `messages[${i}].content`, code: 'invalid_image_url' };
      }
    }
  }
  return undefined;
}

export async function startOpenAiSim(opts: OpenAiSimOptions = {}): Promise<OpenAiSim> {
  const behavior: OpenAiBehavior = { latencyMs: 0, failNext: 0, rateLimitNext: 0 };
  const requests: unknown[] = [];
  const app = baseApp({ name: 'openai-sim' });

  app.post('/v1/chat/completions', async (req, reply) => {
    await sleep(behavior.latencyMs);
    const key = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (key === '') return error(reply, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", 'invalid_request_error', null);
    if (opts.apiKey !== undefined && key !== opts.apiKey) {
      return error(reply, 401, `Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-4)}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
    }
    requests.push(req.body);
    if (behavior.rateLimitNext > 0) {
      behavior.rateLimitNext--;
      reply.header('retry-after', '1');
      return error(reply, 429, 'Rate limit reached for requests. Please try again in 1s.', 'requests', 'rate_limit_exceeded');
    }
    if (behavior.failNext > 0) {
      behavior.failNext--;
      return error(reply, 500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null);
    }
    const bad = invalid(req.body);
    if (bad) return error(reply, 400, bad.message, 'invalid_request_error', bad.code, bad.param);
    const body = req.body as { model: string; messages: Msg[] };
    const system = body.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).join('\n');
    const users = body.messages.filter((m) => m.role === 'user');
    const user = users.map((m) => textOf(m.content)).join('\n');
    const hasImage = users.some((m) => Array.isArray(m.content) && (m.content as Part[]).some((p) => p?.type === 'image_url'));
    const content = videoPrompt(system, user, hasImage);
    const promptTokens = Math.ceil(JSON.stringify(body.messages).length / 4) + (hasImage ? 255 : 0);
    const completionTokens = Math.ceil(content.length / 4);
    return {
      id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_sandbox01',
    };
  });

  const root = await listen(app, opts.port ?? 0, opts.host ?? '127.0.0.1');
  return {
    baseUrl: `${root}/v1`,
    close: () => app.close(),
    requests: () => [...requests],
    setBehavior: (b) => Object.assign(behavior, b),
  };
}
