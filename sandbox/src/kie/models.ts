/**
 * The models the KIE simulator serves, each with the request fields its docs.kie.ai page lists.
 * A field a model does not list is refused (422 naming it), so a request builder that sends one
 * model's fields to another fails here as it would at KIE. Costs are in KIE credits
 * (1 credit ≈ $0.005) and are approximations from the pricing KIE shows; only their order of
 * magnitude matters to the product (alerts, 402).
 */

export type Family = 'market' | 'veo';

export type FieldSpec =
  | { type: 'string'; maxLength?: number }
  | { type: 'enum'; values: readonly (string | number)[] }
  | { type: 'boolean' }
  | { type: 'int'; min: number; max: number }
  | { type: 'url' }
  | { type: 'urls'; min: number; max: number }
  | { type: 'array' };

export interface ModelSpec {
  id: string;
  family: Family;
  /** Fields of `input` (Market) or of the body (Veo), besides `model` and `callBackUrl`. */
  fields: Record<string, FieldSpec>;
  required: readonly string[];
  /** Clip lengths in seconds the model can make (Veo: fixed 8 s). */
  durations: readonly number[];
  /** Credits one task costs, from its (validated) fields. */
  cost(fields: Record<string, unknown>): number;
  /** Rules across fields; returns a 422 message, or undefined. */
  check?(fields: Record<string, unknown>): string | undefined;
}

const PROMPT = (maxLength: number): FieldSpec => ({ type: 'string', maxLength });
const num = (v: unknown, fallback: number): number => (v === undefined ? fallback : Number(v));

// https://docs.kie.ai/market/sora2/sora-2-image-to-video (and its text-to-video / pro siblings):
// prompt ≤ 10,000 chars, image_urls [1], aspect_ratio portrait|landscape, n_frames "10"|"15",
// remove_watermark. Sora 2 was withdrawn by OpenAI on 2026-09-24 (docs/design.md §4); the sim keeps it so a
// test can withdraw it and see KIE's unknown-model answer.
const SORA_FIELDS = {
  prompt: PROMPT(10_000),
  aspect_ratio: { type: 'enum', values: ['portrait', 'landscape'] },
  n_frames: { type: 'enum', values: ['10', '15'] },
  remove_watermark: { type: 'boolean' },
} satisfies Record<string, FieldSpec>;
const soraCost = (perTen: number) => (f: Record<string, unknown>) => (f.n_frames === '15' ? (perTen * 3) / 2 : perTen);

function sora(id: string, image: boolean, perTen: number): ModelSpec {
  return {
    id,
    family: 'market',
    fields: image ? { ...SORA_FIELDS, image_urls: { type: 'urls', min: 1, max: 1 } } : SORA_FIELDS,
    required: image ? ['prompt', 'image_urls'] : ['prompt'],
    durations: [10, 15],
    cost: soraCost(perTen),
  };
}

// https://docs.kie.ai/market/kling/kling-3.0 (read as https://docs.kie.ai/cn/market/kling/kling-3.0) — model "kling-3.0/video"; input: prompt, image_urls
// (first and optional last frame, ≤ 2), sound (bool), duration "3"…"15" (a string), aspect_ratio
// 16:9|9:16|1:1 (optional once image_urls is given: the image decides), mode std (720p) | pro
// (1080p) | 4K, multi_shots, multi_prompt (shots when multi_shots), kling_elements (@element
// references). Some summaries call duration an integer; clients in the field report KIE refusing a
// number, so the sim takes the string form only.
const KLING_3: ModelSpec = {
  id: 'kling-3.0/video',
  family: 'market',
  fields: {
    prompt: PROMPT(2500),
    image_urls: { type: 'urls', min: 0, max: 2 },
    sound: { type: 'boolean' },
    duration: { type: 'enum', values: ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'] },
    aspect_ratio: { type: 'enum', values: ['16:9', '9:16', '1:1'] },
    mode: { type: 'enum', values: ['std', 'pro', '4K'] },
    multi_shots: { type: 'boolean' },
    multi_prompt: { type: 'array' },
    kling_elements: { type: 'array' },
  },
  required: ['duration'],
  durations: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  // KIE: std 12 credits/s (18 with sound), pro 17/s (24 with sound), 4K about 45/s.
  cost: (f) => num(f.duration, 5) * (f.mode === '4K' ? 45 : f.mode === 'pro' ? (f.sound === true ? 24 : 17) : f.sound === true ? 18 : 12),
  check: (f) => {
    const images = Array.isArray(f.image_urls) ? f.image_urls.length : 0;
    if (f.multi_shots === true) {
      if (!Array.isArray(f.multi_prompt) || f.multi_prompt.length === 0) return 'Invalid parameter: input.multi_prompt is required when multi_shots is true';
    } else if (typeof f.prompt !== 'string' || f.prompt.trim() === '') return 'Invalid parameter: input.prompt is required';
    if (images === 0 && f.aspect_ratio === undefined) return 'Invalid parameter: input.aspect_ratio is required when image_urls is empty';
    return undefined;
  },
};

// https://docs.kie.ai/market/bytedance/seedance-2 and .../seedance-2-fast — one model id for
// text, first/last frame and reference modes: prompt, first_frame_url, last_frame_url,
// reference_image_urls (≤ 9), reference_video_urls (≤ 3), reference_audio_urls (≤ 3),
// generate_audio (default on), resolution 480p|720p|1080p|4k (fast: 480p|720p), aspect_ratio incl.
// "adaptive", duration 4…15 (an integer), web_search, nsfw_checker; prompt up to 20,000 chars.
function seedance(id: string, resolutions: readonly string[], perSecond: number): ModelSpec {
  return {
    id,
    family: 'market',
    fields: {
      prompt: PROMPT(20_000),
      first_frame_url: { type: 'url' },
      last_frame_url: { type: 'url' },
      reference_image_urls: { type: 'urls', min: 0, max: 9 },
      reference_video_urls: { type: 'urls', min: 0, max: 3 },
      reference_audio_urls: { type: 'urls', min: 0, max: 3 },
      generate_audio: { type: 'boolean' },
      resolution: { type: 'enum', values: resolutions },
      aspect_ratio: { type: 'enum', values: ['1:1', '4:3', '3:4', '16:9', '9:16', '21:9', 'adaptive'] },
      duration: { type: 'int', min: 4, max: 15 },
      web_search: { type: 'boolean' },
      nsfw_checker: { type: 'boolean' },
    },
    required: ['prompt'],
    durations: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    cost: (f) => num(f.duration, 5) * perSecond * (f.resolution === '4k' ? 4 : f.resolution === '1080p' ? 2 : 1),
    check: (f) =>
      f.last_frame_url !== undefined && f.first_frame_url === undefined ? 'Invalid parameter: input.last_frame_url needs input.first_frame_url' : undefined,
  };
}

// https://docs.kie.ai/market/wan/2-6-image-to-video.md — prompt, image_urls [1], duration
// "5"|"10"|"15", resolution 720p|1080p, multi_shots, nsfw_checker. No aspect_ratio: the image
// decides the frame.
const WAN_26: ModelSpec = {
  id: 'wan/2-6-image-to-video',
  family: 'market',
  fields: {
    prompt: PROMPT(5000),
    image_urls: { type: 'urls', min: 1, max: 1 },
    duration: { type: 'enum', values: ['5', '10', '15'] },
    resolution: { type: 'enum', values: ['720p', '1080p'] },
    multi_shots: { type: 'boolean' },
    nsfw_checker: { type: 'boolean' },
  },
  required: ['prompt', 'image_urls'],
  durations: [5, 10, 15],
  cost: (f) => num(f.duration, 5) * (f.resolution === '1080p' ? 21 : 14),
};

// https://docs.kie.ai/market/hailuo/2-3-image-to-video-standard.md (and -pro) — prompt, image_url
// (one URL, not a list), duration "6"|"10", resolution 768P|1080P (10 s is not offered at 1080P),
// nsfw_checker. No aspect_ratio.
function hailuo(id: string, costs: { s6: number; s10: number; hd6: number }): ModelSpec {
  return {
    id,
    family: 'market',
    fields: {
      prompt: PROMPT(1500),
      image_url: { type: 'url' },
      duration: { type: 'enum', values: ['6', '10'] },
      resolution: { type: 'enum', values: ['768P', '1080P'] },
      nsfw_checker: { type: 'boolean' },
    },
    required: ['prompt', 'image_url'],
    durations: [6, 10],
    cost: (f) => (f.resolution === '1080P' ? costs.hd6 : f.duration === '10' ? costs.s10 : costs.s6),
    check: (f) => (f.duration === '10' && f.resolution === '1080P' ? 'Invalid parameter: input.duration 10 is not supported at resolution 1080P' : undefined),
  };
}

// https://docs.kie.ai/veo3-api/generate-veo-3-video — POST /api/v1/veo/generate { prompt,
// imageUrls, model veo3|veo3_fast|veo3_lite, generationType TEXT_2_VIDEO |
// FIRST_AND_LAST_FRAMES_2_VIDEO (1–2 images) | REFERENCE_2_VIDEO (1–3 images, veo3_fast only),
// aspect_ratio 16:9|9:16|Auto, seeds 10000–99999, watermark, enableTranslation, enableFallback
// (older pages; kept as accepted), resolution 720p|1080p|4k, callBackUrl }. 8 s clips with sound: the
// design reference (§4) takes 8 s as fixed, so the sim takes no duration field.
function veo(id: 'veo3' | 'veo3_fast' | 'veo3_lite', credits: number): ModelSpec {
  return {
    id,
    family: 'veo',
    fields: {
      prompt: PROMPT(5000),
      imageUrls: { type: 'urls', min: 0, max: 3 },
      generationType: { type: 'enum', values: ['TEXT_2_VIDEO', 'FIRST_AND_LAST_FRAMES_2_VIDEO', 'REFERENCE_2_VIDEO'] },
      aspect_ratio: { type: 'enum', values: ['16:9', '9:16', 'Auto'] },
      seeds: { type: 'int', min: 10_000, max: 99_999 },
      watermark: { type: 'string', maxLength: 100 },
      enableTranslation: { type: 'boolean' },
      enableFallback: { type: 'boolean' },
      resolution: { type: 'enum', values: ['720p', '1080p', '4k'] },
    },
    required: ['prompt'],
    durations: [8],
    cost: () => credits,
    check: (f) => {
      const images = Array.isArray(f.imageUrls) ? f.imageUrls.length : 0;
      const type = f.generationType ?? (images > 0 ? 'FIRST_AND_LAST_FRAMES_2_VIDEO' : 'TEXT_2_VIDEO');
      if (type === 'TEXT_2_VIDEO' && images > 0) return 'Invalid parameter: imageUrls is not used with generationType TEXT_2_VIDEO';
      if (type === 'FIRST_AND_LAST_FRAMES_2_VIDEO' && (images < 1 || images > 2)) return 'Invalid parameter: imageUrls must hold 1 or 2 images for FIRST_AND_LAST_FRAMES_2_VIDEO';
      if (type === 'REFERENCE_2_VIDEO') {
        if (id !== 'veo3_fast') return `Invalid parameter: generationType REFERENCE_2_VIDEO is not supported by model ${id}`;
        if (images < 1) return 'Invalid parameter: imageUrls is required for REFERENCE_2_VIDEO';
      }
      return undefined;
    },
  };
}

/** Every model the simulator knows, by id (the `model` value a request carries). */
export const MODELS: ReadonlyMap<string, ModelSpec> = new Map(
  [
    KLING_3,
    seedance('bytedance/seedance-2', ['480p', '720p', '1080p', '4k'], 20),
    seedance('bytedance/seedance-2-fast', ['480p', '720p'], 14),
    WAN_26,
    hailuo('hailuo/2-3-image-to-video-standard', { s6: 30, s10: 50, hd6: 50 }),
    hailuo('hailuo/2-3-image-to-video-pro', { s6: 45, s10: 90, hd6: 80 }),
    sora('sora-2-image-to-video', true, 30),
    sora('sora-2-text-to-video', false, 30),
    sora('sora-2-pro-image-to-video', true, 150),
    sora('sora-2-pro-text-to-video', false, 150),
    // Veo 3.1 prices from kie.ai: Fast 60 credits per 8 s clip, Quality 250, Lite 30.
    veo('veo3', 250),
    veo('veo3_fast', 60),
    veo('veo3_lite', 30),
  ].map((m) => [m.id, m]),
);
