import { KieError } from './types.js';

export const KNOWN_MODELS = new Set(['sora-2-image-to-video', 'sora-2-text-to-video', 'sora-2-pro-image-to-video', 'sora-2-pro-text-to-video']);
const MAX_PROMPT = 10_000; // sora-2-image-to-video: prompt up to 10,000 characters

export interface CreateTaskRequest {
  model: string;
  callBackUrl?: string;
  input: { prompt: string; image_urls: string[]; aspect_ratio?: string; n_frames?: string; remove_watermark?: boolean };
}

const invalid = (msg: string): KieError => new KieError(422, msg);

/** Validates a createTask body the way KIE's Market API does (422 with a readable message). */
export function validateCreateTask(body: unknown): CreateTaskRequest {
  if (body === null || typeof body !== 'object') throw invalid('request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') throw invalid('model is required');
  if (!KNOWN_MODELS.has(b.model)) throw invalid(`model ${b.model} is not supported`);
  if (b.callBackUrl !== undefined && b.callBackUrl !== '') {
    if (typeof b.callBackUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(b.callBackUrl)) throw invalid('callBackUrl must be a valid URL');
  }
  const input = b.input as Record<string, unknown> | undefined;
  if (input === undefined || input === null || typeof input !== 'object') throw invalid('input is required');
  const prompt = input.prompt;
  if (typeof prompt !== 'string' || prompt.trim() === '') throw invalid('input.prompt is required');
  if (prompt.length > MAX_PROMPT) throw invalid(`input.prompt must be at most ${MAX_PROMPT} characters`);
  const urls = input.image_urls;
  const needsImage = b.model.includes('image-to-video');
  if (needsImage) {
    if (!Array.isArray(urls) || urls.length === 0) throw invalid('input.image_urls is required');
    if (urls.length > 1) throw invalid('input.image_urls accepts at most 1 image');
    if (urls.some((u) => typeof u !== 'string' || !/^https?:\/\/[^\s]+$/.test(u))) throw invalid('input.image_urls must contain public http(s) URLs');
  }
  if (input.aspect_ratio !== undefined && input.aspect_ratio !== 'portrait' && input.aspect_ratio !== 'landscape') {
    throw invalid('input.aspect_ratio must be one of: portrait, landscape');
  }
  if (input.n_frames !== undefined && input.n_frames !== '10' && input.n_frames !== '15') throw invalid('input.n_frames must be one of: "10", "15"');
  if (input.remove_watermark !== undefined && typeof input.remove_watermark !== 'boolean') throw invalid('input.remove_watermark must be a boolean');
  return {
    model: b.model,
    ...(typeof b.callBackUrl === 'string' && b.callBackUrl !== '' ? { callBackUrl: b.callBackUrl } : {}),
    input: {
      prompt,
      image_urls: Array.isArray(urls) ? (urls as string[]) : [],
      ...(typeof input.aspect_ratio === 'string' ? { aspect_ratio: input.aspect_ratio } : {}),
      ...(typeof input.n_frames === 'string' ? { n_frames: input.n_frames } : {}),
      ...(typeof input.remove_watermark === 'boolean' ? { remove_watermark: input.remove_watermark } : {}),
    },
  };
}
