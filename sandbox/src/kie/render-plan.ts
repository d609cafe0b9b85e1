/**
 * What the KIE simulator's rendered result looks like, decided from the task alone (no IO): its
 * orientation, the template it was made for, the camera move and the label burned in. The
 * ffmpeg side (render.ts) only carries these decisions out.
 */

export type Orientation = 'portrait' | 'landscape';
export type TemplateKind = 'ugc' | 'ad' | 'custom';

/** Output frame sizes: 480p in the order's orientation (even sizes, as yuv420p needs). */
export const FRAME: Record<Orientation, { width: number; height: number }> = {
  portrait: { width: 480, height: 854 },
  landscape: { width: 854, height: 480 },
};

/**
 * The orientation an order asked for, from the model's own field (every family spells it its own
 * way, see models.ts): Sora's `aspect_ratio` portrait|landscape, Kling's and Seedance's
 * `aspect_ratio` "9:16"/"16:9"/…, Veo's `aspect_ratio` (and `aspectRatio` of an older quickstart
 * sample, https://docs.kie.ai/veo3-api/generate-veo-3-video). Where no ratio is given, or it says
 * the image decides (Veo "Auto", Seedance "adaptive"; Wan and Hailuo have no field at all), the
 * photo's own shape decides; without a photo, 9:16 (the product's default).
 */
export function orientationOf(fields: Record<string, unknown>, image?: { width: number; height: number }): Orientation {
  const raw = fields.aspect_ratio ?? fields.aspectRatio;
  if (raw === 'portrait' || raw === 'landscape') return raw;
  const ratio = typeof raw === 'string' ? /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(raw.trim()) : null;
  if (ratio) return Number(ratio[1]) > Number(ratio[2]) ? 'landscape' : 'portrait';
  if (image !== undefined && image.width > 0 && image.height > 0) return image.width > image.height ? 'landscape' : 'portrait';
  return 'portrait';
}

/**
 * The template a prompt was written for. The sim sees only the prompt: the OpenAI simulator opens
 * it with a fixed phrase per template (sandbox/src/openai/prompt.ts), and the orchestrator's
 * fallback prompts (apps/orchestrator/src/domain/templates.ts) open with "UGC-style" or "premium
 * commercial". Only the opening sentence is read, so words of the seller's own wishes quoted
 * later do not switch the template.
 */
export function templateOf(prompt: string): TemplateKind {
  const opening = (prompt.split(/(?<=[.!?])\s|\n/)[0] ?? '').slice(0, 300);
  if (/\bugc\b/i.test(opening)) return 'ugc';
  if (/\bcommercial\b|\badvert|\bad\b/i.test(opening)) return 'ad';
  return 'custom';
}

/** Seller-facing model names, as the dispatcher's offer shows them (apps/kie-dispatcher/src/domain/models.ts). */
const MODEL_LABELS: Record<string, string> = {
  'kling-3.0/video': 'Kling 3.0',
  'bytedance/seedance-2': 'Seedance 2',
  'bytedance/seedance-2-fast': 'Seedance 2 Fast',
  'wan/2-6-image-to-video': 'Wan 2.6',
  'hailuo/2-3-image-to-video-standard': 'Hailuo 2.3',
  'hailuo/2-3-image-to-video-pro': 'Hailuo 2.3 Pro',
  'sora-2-image-to-video': 'Sora 2',
  'sora-2-pro-image-to-video': 'Sora 2 Pro',
  veo3: 'Veo 3.1',
  veo3_fast: 'Veo 3.1 Fast',
  veo3_lite: 'Veo 3.1 Lite',
};
const TEMPLATE_LABELS: Record<TemplateKind, string> = { ugc: 'UGC', ad: 'Ad', custom: 'Own prompt' };

/**
 * The label burned into the video, e.g. "Kling 3.0 | UGC". Kept to characters drawtext takes
 * literally inside a quoted option (no quote, backslash, colon or percent), so no escaping is needed.
 */
export function labelOf(model: string, template: TemplateKind): string {
  return `${MODEL_LABELS[model] ?? model} | ${TEMPLATE_LABELS[template]}`.replace(/[^\w .+/|()-]/g, ' ');
}

/**
 * The zoompan expressions of each template's camera move over `frames` frames (`on` is the output
 * frame number, `zoom` the current zoom; x/y are the top-left corner of the visible window in the
 * input). Each move eases in and out so the start and end are calm:
 * UGC a handheld-like pan with a slight wobble, Ad a slow centred zoom-in, own prompt a zoom-out
 * drifting sideways.
 */
export function motionOf(template: TemplateKind, frames: number, fps: number): { z: string; x: string; y: string } {
  const ease = `(1-cos(PI*on/${Math.max(1, frames - 1)}))/2`;
  const t = `(on/${fps})`;
  switch (template) {
    case 'ugc':
      return {
        z: '1.18',
        x: `(iw-iw/zoom)*(0.2+0.6*${ease}+0.05*sin(2*PI*0.9*${t}))`,
        y: `(ih-ih/zoom)*(0.5+0.12*sin(2*PI*0.6*${t})+0.05*sin(2*PI*1.7*${t}))`,
      };
    case 'ad':
      return { z: `1+0.3*${ease}`, x: '(iw-iw/zoom)/2', y: '(ih-ih/zoom)/2' };
    case 'custom':
      return { z: `1.3-0.3*${ease}`, x: `(iw-iw/zoom)*(0.3+0.4*${ease})`, y: '(ih-ih/zoom)*0.45' };
  }
}

export interface FilterOptions {
  orientation: Orientation;
  template: TemplateKind;
  seconds: number;
  fps: number;
  /** Burned in with drawtext when a font file is known; undefined renders without a label. */
  label?: { text: string; fontFile: string };
}

/**
 * The filter graph from input 0 (a photo, or a plain background frame) to `[v]`: the whole photo
 * fitted into the frame over a blurred, cover-cropped copy of itself (a portrait photo in a 16:9
 * order keeps the product whole), at twice the output size (zooming on a larger picture keeps
 * zoompan's whole-pixel steps from jittering); then the template's move, the label on a dark
 * band, yuv420p for every player. Everything before zoompan runs on the one input frame only.
 */
export function filterGraph(o: FilterOptions): string {
  const { width, height } = FRAME[o.orientation];
  const [w2, h2] = [width * 2, height * 2];
  const frames = Math.round(o.seconds * o.fps);
  const m = motionOf(o.template, frames, o.fps);
  const compose = [
    '[0:v]setsar=1,split[photo][copy]',
    `[copy]scale=${w2}:${h2}:force_original_aspect_ratio=increase,crop=${w2}:${h2},boxblur=24:2[back]`,
    `[photo]scale=${w2}:${h2}:force_original_aspect_ratio=decrease[front]`,
  ];
  const steps = [
    `[back][front]overlay=(W-w)/2:(H-h)/2`,
    'setsar=1',
    `zoompan=z='${m.z}':x='${m.x}':y='${m.y}':d=${frames}:s=${width}x${height}:fps=${o.fps}`,
  ];
  if (o.label) {
    const size = Math.round(Math.min(width, height) / 22);
    steps.push(
      `drawbox=x=16:y=ih-${size * 2 + 20}:w=iw-32:h=${size * 2}:color=black@0.55:t=fill`,
      `drawtext=fontfile='${o.label.fontFile}':expansion=none:text='${o.label.text}':fontcolor=white:fontsize=${size}:x=28:y=h-${size * 2 + 20}+${Math.round(size / 2)}`,
    );
  }
  steps.push('format=yuv420p');
  return `${compose.join(';')};${steps.join(',')}[v]`;
}
