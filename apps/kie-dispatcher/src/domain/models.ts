import type { AspectRatio } from '@neurocards/contracts';
import type { KieFailure } from './classify';

/**
 * The model catalogue (docs/design.md §4): one row per KIE model we can run, pure data and builders.
 * A row knows its API family, how to build the exact request body from (prompt, photo URL,
 * orientation, seconds), the lengths and orientations it allows, and whether it has sound.
 * How to read a task's status is per family (`readMarketRecord` / `readVeoRecord`). Nothing
 * outside this module sees a per-model field name.
 *
 * Shapes checked on docs.kie.ai on 2026-11-30; each row cites its page. To add a model: add a
 * row here (with its page), a request-body test in models.test.ts, and a line in the README
 * table; then list it in KIE_MODELS.
 */
export type ModelFamily = 'market' | 'veo';

export interface RequestInput {
  prompt: string;
  /** The product photo, already uploaded to KIE. */
  imageUrl: string;
  aspectRatio: AspectRatio;
  /** Seconds; one of the model's `durations`. */
  duration: number;
  callBackUrl: string;
}

/** What goes to KIE: the endpoint is the family's, the body the model's. */
export type CreateRequest =
  | { family: 'market'; body: { model: string; callBackUrl: string; input: Record<string, unknown> } }
  | { family: 'veo'; body: Record<string, unknown> };

export interface ModelRow {
  id: string;
  family: ModelFamily;
  /** Seller-facing name. */
  label: string;
  durations: readonly number[];
  defaultDuration: number;
  aspectRatios: readonly AspectRatio[];
  sound: boolean;
  /** The docs page the request shape comes from. */
  docs: string;
  /** Builds the `input` (Market) or the whole body (Veo), without callBackUrl/model. */
  build(i: RequestInput): Record<string, unknown>;
}

const ratio = (a: AspectRatio) => (a === 'portrait' ? '9:16' : '16:9');

const rows: ModelRow[] = [
  // https://docs.kie.ai/veo3-api/generate-veo-3-video (quickstart: https://docs.kie.ai/veo3-api/quickstart).
  // The generate page spells the field `aspect_ratio`; an older quickstart sample sends
  // `aspectRatio`. We follow the (newer) generate page. Veo makes fixed 8 s clips with sound.
  ...(['veo3_fast', 'veo3', 'veo3_lite'] as const).map((id): ModelRow => ({
    id,
    family: 'veo',
    label: { veo3_fast: 'Veo 3.1 Fast', veo3: 'Veo 3.1', veo3_lite: 'Veo 3.1 Lite' }[id],
    durations: [8],
    defaultDuration: 8,
    aspectRatios: ['portrait', 'landscape'],
    sound: true,
    docs: 'https://docs.kie.ai/veo3-api/generate-veo-3-video',
    build: (i) => ({
      prompt: i.prompt,
      imageUrls: [i.imageUrl],
      // One image: it is the first frame.
      generationType: 'FIRST_AND_LAST_FRAMES_2_VIDEO',
      aspect_ratio: ratio(i.aspectRatio),
      enableTranslation: true,
    }),
  })),
  {
    // https://docs.kie.ai/market/kling/kling-3.0 — image_urls holds the first (and optional
    // last) frame; with an image, aspect_ratio is optional (the page says the image decides)
    // but we send it so the seller's choice holds. duration is a string of seconds (3–15).
    id: 'kling-3.0/video',
    family: 'market',
    label: 'Kling 3.0',
    durations: [5, 10, 15],
    defaultDuration: 5,
    aspectRatios: ['portrait', 'landscape'],
    sound: true,
    docs: 'https://docs.kie.ai/market/kling/kling-3.0',
    build: (i) => ({
      prompt: i.prompt,
      image_urls: [i.imageUrl],
      sound: true,
      duration: String(i.duration),
      aspect_ratio: ratio(i.aspectRatio),
      mode: 'std',
      multi_shots: false,
    }),
  },
  // https://docs.kie.ai/market/bytedance/seedance-2 and .../seedance-2-fast — first_frame_url,
  // duration a number of seconds (4–15), resolution 480p/720p(/1080p for the full model).
  // The fast page's sample still names `bytedance/seedance-2`; its model field says
  // `bytedance/seedance-2-fast`, which we follow.
  ...(['bytedance/seedance-2', 'bytedance/seedance-2-fast'] as const).map((id): ModelRow => ({
    id,
    family: 'market',
    label: id === 'bytedance/seedance-2' ? 'Seedance 2' : 'Seedance 2 Fast',
    durations: [5, 10, 15],
    defaultDuration: 5,
    aspectRatios: ['portrait', 'landscape'],
    sound: true,
    docs: `https://docs.kie.ai/market/bytedance/${id.split('/')[1]}`,
    build: (i) => ({
      prompt: i.prompt,
      first_frame_url: i.imageUrl,
      generate_audio: true,
      resolution: '720p',
      aspect_ratio: ratio(i.aspectRatio),
      duration: i.duration,
    }),
  })),
  {
    // https://docs.kie.ai/market/wan/2-6-image-to-video — image_urls, duration "5"|"10"|"15",
    // resolution "720p"|"1080p". There is no aspect_ratio: the frame follows the photo.
    id: 'wan/2-6-image-to-video',
    family: 'market',
    label: 'Wan 2.6',
    durations: [5, 10, 15],
    defaultDuration: 5,
    aspectRatios: ['portrait', 'landscape'],
    sound: true,
    docs: 'https://docs.kie.ai/market/wan/2-6-image-to-video',
    build: (i) => ({
      prompt: i.prompt,
      image_urls: [i.imageUrl],
      duration: String(i.duration),
      resolution: '720p',
    }),
  },
  {
    // https://docs.kie.ai/market/hailuo/2-3-image-to-video-standard — image_url (one string),
    // duration "6"|"10", resolution "768P"|"1080P" (10 s only at 768P). No aspect_ratio: the
    // frame follows the photo. No sound.
    id: 'hailuo/2-3-image-to-video-standard',
    family: 'market',
    label: 'Hailuo 2.3',
    durations: [6, 10],
    defaultDuration: 6,
    aspectRatios: ['portrait', 'landscape'],
    sound: false,
    docs: 'https://docs.kie.ai/market/hailuo/2-3-image-to-video-standard',
    build: (i) => ({
      prompt: i.prompt,
      image_url: i.imageUrl,
      duration: String(i.duration),
      resolution: '768P',
    }),
  },
  {
    // https://docs.kie.ai/market/sora2/sora-2-image-to-video — withdrawn by OpenAI on
    // 2026-09-24 (docs/design.md §4); kept for accounts where it still answers, never the default.
    id: 'sora-2-image-to-video',
    family: 'market',
    label: 'Sora 2',
    durations: [10, 15],
    defaultDuration: 10,
    aspectRatios: ['portrait', 'landscape'],
    sound: true,
    docs: 'https://docs.kie.ai/market/sora2/sora-2-image-to-video',
    build: (i) => ({
      prompt: i.prompt,
      image_urls: [i.imageUrl],
      aspect_ratio: i.aspectRatio,
      n_frames: String(i.duration),
      remove_watermark: true,
    }),
  },
];

export const CATALOGUE: ReadonlyMap<string, ModelRow> = new Map(rows.map((r) => [r.id, r]));

/** The default of KIE_MODELS: available today, image-to-video with sound, one fixed length. */
export const DEFAULT_MODELS = ['veo3_fast', 'kling-3.0/video'] as const;

export function modelRow(id: string): ModelRow {
  const row = CATALOGUE.get(id);
  if (!row) throw new Error(`unknown KIE model "${id}"`);
  return row;
}

/**
 * The length a video gets: the asked seconds when the model makes them, else the model's
 * default. A deprecated `nFrames` ("10"/"15") from an older command is read as seconds.
 */
export function resolveDuration(row: ModelRow, asked: number | null | undefined): number {
  return asked !== null && asked !== undefined && row.durations.includes(asked) ? asked : row.defaultDuration;
}

/** The createTask request for a model (the exact body KIE expects). */
export function buildRequest(id: string, i: RequestInput): CreateRequest {
  const row = modelRow(id);
  const built = row.build(i);
  if (row.family === 'veo')
    return { family: 'veo', body: { ...built, model: id, callBackUrl: i.callBackUrl } };
  return { family: 'market', body: { model: id, callBackUrl: i.callBackUrl, input: built } };
}

// ---- reading a task's state --------------------------------------------------------------

export type RecordOutcome =
  { kind: 'pending' } | { kind: 'success'; urls: string[] } | { kind: 'failure'; failure: KieFailure };

const pending: RecordOutcome = { kind: 'pending' };
const noUrls: RecordOutcome = {
  kind: 'failure',
  failure: { kind: 'task_failed', failCode: null, failMsg: 'success without result URLs' },
};

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
const urls = (v: unknown): string[] | null => {
  if (!Array.isArray(v)) return null;
  const out = v.filter((u): u is string => typeof u === 'string' && /^https?:\/\//.test(u));
  return out.length > 0 ? out : null;
};

/**
 * A Market record (recordInfo `data`, and the callback's `data`): `state` waiting | queuing |
 * generating | success | fail; `resultJson` a JSON string `{ resultUrls: [...] }`.
 * https://docs.kie.ai/market/common/get-task-detail
 */
export function readMarketRecord(r: unknown): RecordOutcome {
  if (!isObj(r)) return pending;
  switch (r.state) {
    case 'success': {
      let parsed: unknown = null;
      try {
        parsed = typeof r.resultJson === 'string' ? JSON.parse(r.resultJson) : r.resultJson;
      } catch {
        parsed = null;
      }
      const u = isObj(parsed) ? urls(parsed.resultUrls) : null;
      return u ? { kind: 'success', urls: u } : noUrls;
    }
    case 'fail':
      return {
        kind: 'failure',
        failure: { kind: 'task_failed', failCode: str(r.failCode), failMsg: str(r.failMsg) },
      };
    default:
      // waiting | queuing | generating, and any state KIE adds later: keep waiting (the deadline bounds it).
      return pending;
  }
}

/**
 * A Veo record (`GET /api/v1/veo/record-info` `data`): `successFlag` 0 generating, 1 success,
 * 2 failed, 3 generation failed; URLs in `response.resultUrls`; failures in
 * `errorCode`/`errorMessage`. https://docs.kie.ai/veo3-api/get-veo-3-video-details
 */
export function readVeoRecord(r: unknown): RecordOutcome {
  if (!isObj(r)) return pending;
  const flag = Number(r.successFlag);
  if (flag === 1) {
    const response = isObj(r.response) ? r.response : {};
    const u = urls(response.resultUrls);
    return u ? { kind: 'success', urls: u } : noUrls;
  }
  if (flag === 2 || flag === 3)
    return {
      kind: 'failure',
      failure: {
        kind: 'task_failed',
        failCode: str(r.errorCode),
        failMsg: str(r.errorMessage) ?? str(r.msg),
      },
    };
  return pending;
}

/**
 * A Veo callback body: `{ code, msg, data: { taskId, info: { resultUrls, originUrls,
 * resolution }, fallbackFlag } }`; `code` 200 success, 400 content refused or bad input,
 * 422 refused without fallback, 500 internal, 501 generation failed — the message is in `msg`.
 * https://docs.kie.ai/veo3-api/generate-veo-3-video-callbacks
 */
export function readVeoCallback(body: unknown): RecordOutcome {
  if (!isObj(body)) return pending;
  const data = isObj(body.data) ? body.data : {};
  const code = Number(body.code);
  if (code === 200) {
    const info = isObj(data.info) ? data.info : {};
    const u = urls(info.resultUrls);
    return u ? { kind: 'success', urls: u } : noUrls;
  }
  return {
    kind: 'failure',
    failure: {
      kind: 'task_failed',
      failCode: Number.isFinite(code) ? String(code) : null,
      failMsg: str(body.msg),
    },
  };
}

/** The task id a callback body names, whichever family sent it. */
export function callbackTaskId(body: unknown): string | null {
  if (!isObj(body) || !isObj(body.data)) return null;
  return str(body.data.taskId);
}

/** Which family a callback body comes from: Market records carry `state`, Veo ones do not. */
export function callbackFamily(body: unknown): ModelFamily {
  return isObj(body) && isObj(body.data) && typeof body.data.state === 'string' ? 'market' : 'veo';
}

/** What a callback says, read the way its family writes it. */
export function readCallback(family: ModelFamily, body: unknown): RecordOutcome {
  if (family === 'market') return readMarketRecord(isObj(body) ? body.data : null);
  return readVeoCallback(body);
}

/** What a polled record says (recordInfo for Market, record-info for Veo). */
export function readRecord(family: ModelFamily, data: unknown): RecordOutcome {
  return family === 'market' ? readMarketRecord(data) : readVeoRecord(data);
}
