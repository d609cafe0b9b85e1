import type { Locale, TemplateId } from '@neurocards/contracts';

/**
 * The video templates: what GPT is told to write, and the built-in prompt used when GPT
 * is unavailable. These texts are the product; bump `version` whenever one changes
 * meaningfully, so a prompt in the database can be traced to the text that made it.
 */

/** KIE rejects prompts above 10,000 characters (docs/design.md §4). */
export const PROMPT_MAX_LENGTH = 10_000;

export interface PromptContext {
  wishes: string | null;
  /** 1-based number of the video within its order. */
  index: number;
  count: number;
  /** Language of spoken lines: the seller's language is their buyers' language. */
  locale: Locale;
  durationSeconds: number;
  aspectRatio: 'portrait' | 'landscape';
}

export interface Template {
  id: TemplateId;
  version: number;
  /** System instructions for GPT. */
  instructions: string;
  /** Creative directions; video i of an order takes direction i, so N videos differ. */
  directions: readonly string[];
  /** The prompt used without GPT (no key, or GPT failed). */
  fallback(ctx: PromptContext): string;
}

const LANGUAGE: Record<Locale, string> = { ru: 'Russian', en: 'English' };

export const orientation = (ar: PromptContext['aspectRatio']) =>
  ar === 'portrait' ? 'vertical 9:16' : 'horizontal 16:9';

/** The direction for video `index` (1-based), cycling when an order has more videos than directions. */
export function directionFor(t: Template, index: number): string {
  return t.directions[(Math.max(1, index) - 1) % t.directions.length]!;
}

/** Rules every prompt must respect, for GPT and for the fallbacks alike. */
const FIDELITY =
  'The product from the reference image is the hero: keep it exactly as in the photo — same shape, proportions, colors, materials, packaging and label. Do not invent, change or add text, logos or brand names.';
const SAFETY =
  'Adults only (no children), no famous or real identifiable people, no nudity, violence, weapons, drugs or medical claims. No on-screen text, captions, subtitles, watermarks or UI overlays.';

const COMMON_RULES = `
Rules for every prompt you write:
- The attached photo is the product photo; the video model receives the same image as its reference. First look closely at it and name the product precisely in the prompt (what it is, color, material, packaging, size in the hand), so the model keeps it faithful. ${FIDELITY}
- ${SAFETY}
- Describe the video in beats with timings that add up to the requested length, plus camera, lighting, setting, sound and, where someone speaks, the exact spoken lines in quotes.
- Spoken lines are short, natural and believable in the requested spoken language; no prices, discounts, superlatives like "the best in the world", guarantees, health or financial claims, or competitor names.
- Follow the seller's wishes whenever they do not break these rules; the wishes may be written in Russian. If the wishes are empty, decide yourself from the photo.
- Write the prompt in English (the spoken lines stay in the spoken language). 600 to 1,800 characters.
- Output only the prompt text: no title, no preamble, no markdown, no quotes around the whole text.`;

const ugc: Template = {
  id: 'ugc',
  version: 1,
  instructions: `You write prompts for Sora 2 image-to-video that turn one product photo into a short UGC (user-generated content) video for a marketplace seller (Wildberries, Ozon).
The video must look like a real customer filmed it on a phone: one ordinary, likeable adult holds the product in their hand, shows it close to the camera and talks about it to the viewer, as in an honest review or a story to a friend. Handheld selfie or friend-held phone camera, slight natural shake, natural daylight or warm home light, a real everyday setting where this product is used, authentic and unpolished — not a studio commercial.
Structure: a hook in the first 2–3 seconds (a reaction, a question, a relatable problem), then the product shown and used (turning it, close-ups of the details that matter), then a short sincere recommendation with the product next to the face.
${COMMON_RULES}`,
  directions: [
    'First impression: at home by a window in morning light, the person picks the product up from a table, reacts with genuine surprise and shares what they like about it.',
    'Problem and solution: the person briefly names an everyday annoyance this product solves, then shows it solving it in the place where it is naturally used.',
    'Quick review: "three things I like" style, counting on fingers while bringing each detail of the product close to the lens, in a bright cozy room.',
    'Recommendation to a friend: filmed like a video message while walking outdoors in soft evening light, the person holds the product up and tells a friend why they should get it.',
    'Honest demo: the person uses the product for real, close-ups of it in use, then back to the face with a satisfied smile and a one-line verdict.',
  ],
  fallback: (c) =>
    [
      `A ${c.durationSeconds}-second ${orientation(c.aspectRatio)} UGC-style smartphone video for a marketplace product card.`,
      FIDELITY,
      `A friendly, natural-looking adult in casual clothes holds the product from the photo in one hand close to the camera. Handheld selfie framing with slight natural camera shake, soft daylight, a real everyday home setting, authentic and unpolished, not a studio ad.`,
      `Creative direction: ${directionFor(ugc, c.index)}`,
      beats(c.durationSeconds, [
        'the hook: the person looks into the camera with a lively reaction and raises the product into frame',
        'turns the product slowly close to the lens to show its details, then briefly uses it',
        'smiles, holds the product next to their face and recommends it',
      ]),
      `Sound: the person speaks ${LANGUAGE[c.locale]} in a warm, natural voice, lip-synced: two short sincere sentences of a personal recommendation, no prices or exaggerated claims; quiet room ambience.`,
      wishesLine(c.wishes),
      SAFETY,
    ]
      .filter(Boolean)
      .join('\n'),
};

const ad: Template = {
  id: 'ad',
  version: 1,
  instructions: `You write prompts for Sora 2 image-to-video that turn one product photo into a short, polished commercial for a marketplace seller (Wildberries, Ozon).
The video must look like a premium brand ad: the product is the hero of every shot, with controlled cinematic lighting, smooth deliberate camera moves (slow dolly, orbit, macro close-ups, a reveal), a refined set or stylish real-world setting that suits the product, rich but natural color grading, and tasteful visual elements that fit the product category (light sweeps, water drops, fabric, particles, reflections). Hands may appear to interact with the product; a person is optional. Music-driven sound design; at most one short voice-over line.
Structure: an attention-grabbing opening shot, two or three beats that show the product's look and its key visible benefits, and a final hero shot with the product centered, sharp and well lit, with calm space around it.
${COMMON_RULES}`,
  directions: [
    'Hero reveal: a dark backdrop, a soft light sweep reveals the product, slow orbit around it, ending on a centered hero shot.',
    'Lifestyle: the product in a stylish real-world setting that fits it, warm sunlight and shallow depth of field, a hand reaches in and uses it.',
    'Dynamic details: energetic macro close-ups of textures and details with smooth match cuts and elements that suit the product (splashes, flowing fabric, particles).',
    'Minimal premium: a pastel seamless backdrop, the product on a podium turning slowly, soft shadows, a calm and elegant mood.',
    'Feature story: three short beats, each showing one visible benefit of the product, ending with the whole product in frame.',
  ],
  fallback: (c) =>
    [
      `A ${c.durationSeconds}-second ${orientation(c.aspectRatio)} premium commercial for the product from the reference image.`,
      FIDELITY,
      `Cinematic studio-quality lighting, smooth deliberate camera motion, shallow depth of field, rich natural color grading, crisp high detail, the product always in sharp focus.`,
      `Creative direction: ${directionFor(ad, c.index)}`,
      beats(c.durationSeconds, [
        'an elegant opening shot that catches the eye',
        'slow macro close-ups and a gentle orbit showing the materials, details and a visible benefit',
        'the final hero shot: the product centered, perfectly lit, with calm space around it',
      ]),
      `Sound: modern, upbeat instrumental music with subtle sound effects matching the motion; no voice-over.`,
      wishesLine(c.wishes),
      SAFETY,
    ]
      .filter(Boolean)
      .join('\n'),
};

const custom: Template = {
  id: 'custom',
  version: 1,
  instructions: `You polish a marketplace seller's own idea into a prompt for Sora 2 image-to-video. The seller's text IS the idea: keep every scene, action, character, style, mood and spoken line they asked for, in their order, and do not add new concepts, twists or people they did not ask for. Only make it clear and complete for the video model: translate it to English (spoken lines stay in their language), fix contradictions, and add the production details that are missing (precise product description, beats with timings, camera, lighting, setting, sound).
If several videos are made from the same idea, vary only the execution (camera framing, angle, moment, lighting) as the direction says, never the idea itself.
${COMMON_RULES}`,
  directions: [
    'Execute the idea as written.',
    'Same idea, an alternative camera framing and angle.',
    'Same idea, a different moment and lighting (for example golden hour instead of daylight).',
    'Same idea, closer framing with more close-ups of the product.',
    'Same idea, a wider establishing framing and slower camera motion.',
  ],
  fallback: (c) =>
    [
      c.wishes?.trim() || `A short ${orientation(c.aspectRatio)} video showcasing the product from the reference image.`,
      '',
      `Production notes: a ${c.durationSeconds}-second ${orientation(c.aspectRatio)} video. ${directionFor(custom, c.index)} ${FIDELITY} Realistic, high detail, smooth camera motion, good lighting. ${SAFETY}`,
    ].join('\n'),
};

export const templates: Record<TemplateId, Template> = { ugc, ad, custom };

function beats(seconds: number, parts: [string, string, string]): string {
  const a = Math.max(2, Math.round(seconds * 0.3));
  const b = Math.max(a + 1, seconds - 3);
  return `Beats: 0–${a} s — ${parts[0]}; ${a}–${b} s — ${parts[1]}; ${b}–${seconds} s — ${parts[2]}.`;
}

function wishesLine(wishes: string | null): string {
  const w = wishes?.trim();
  return w ? `Seller's wishes, follow them: "${w}"` : '';
}
