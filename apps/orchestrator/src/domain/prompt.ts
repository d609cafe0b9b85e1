import { PROMPT_MAX_LENGTH, directionFor, orientation, templates, type PromptContext } from './templates';
import type { TemplateId } from '@neurocards/contracts';

/** What the prompt step knows about one video. */
export interface PromptInput extends PromptContext {
  template: TemplateId;
}

/** The chat messages for GPT, in the shape of the Chat Completions API. */
export type ChatMessage =
  | { role: 'system'; content: string }
  | {
      role: 'user';
      content: Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail: 'auto' } }>;
    };

const LANGUAGE = { ru: 'Russian', en: 'English' } as const;

/**
 * The request to GPT: the template's instructions as the system message; the photo (as a
 * data URL: the bytes themselves, never a Telegram URL, which carries the bot token) and
 * the specifics of this video as the user message.
 */
export function buildChatMessages(input: PromptInput, imageDataUrl: string): ChatMessage[] {
  const t = templates[input.template];
  const wishes = input.wishes?.trim();
  const lines = [
    `Template: ${t.id} (v${t.version}).`,
    `Video ${input.index} of ${input.count}.` +
      (input.count > 1 ? ' Every video of this order must feel clearly different from the others.' : ''),
    `Creative direction for this video: ${directionFor(t, input.index)}`,
    `Length: ${input.durationSeconds} seconds, ${orientation(input.aspectRatio)}.`,
    `Spoken language: ${LANGUAGE[input.locale]}.`,
    wishes ? `Seller's wishes: """${wishes}"""` : "Seller's wishes: none — decide from the photo.",
    'The product photo is attached. Write the prompt now.',
  ];
  return [
    { role: 'system', content: t.instructions },
    {
      role: 'user',
      content: [
        { type: 'text', text: lines.join('\n') },
        { type: 'image_url', image_url: { url: imageDataUrl, detail: 'auto' } },
      ],
    },
  ];
}

export function toDataUrl(mimeType: string, bytes: Uint8Array): string {
  return `data:${mimeType};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** The template's built-in prompt, within KIE's limit. */
export function fallbackPrompt(input: PromptInput): string {
  return clamp(templates[input.template].fallback(input).trim());
}

/**
 * Tidies GPT's answer into a prompt KIE accepts: no markdown fences, labels or wrapping
 * quotes, at most 10,000 characters. Returns null when nothing usable is left.
 */
export function cleanPrompt(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let text = raw.trim();
  text = text.replace(/^```[a-z]*\s*\n?/i, '').replace(/\n?```$/, '').trim();
  text = text.replace(/^(video\s+)?prompt\s*:\s*/i, '').trim();
  const quoted = /^(["“«])([\s\S]*)(["”»])$/.exec(text);
  if (quoted && !quoted[2]!.includes(quoted[1]!)) text = quoted[2]!.trim();
  if (text.length < 20) return null;
  return clamp(text);
}

/** Cuts at the last sentence (or word) end before the limit, so the prompt never ends mid-word. */
function clamp(text: string): string {
  if (text.length <= PROMPT_MAX_LENGTH) return text;
  const head = text.slice(0, PROMPT_MAX_LENGTH);
  const sentence = Math.max(head.lastIndexOf('. '), head.lastIndexOf('.\n'));
  if (sentence > PROMPT_MAX_LENGTH * 0.8) return head.slice(0, sentence + 1);
  const word = head.lastIndexOf(' ');
  return word > 0 ? head.slice(0, word) : head;
}

export type PromptFailureKind = 'transient' | 'permanent';

/**
 * OpenAI failures by HTTP status (undefined: network error or timeout). 408, 409, 429
 * and 5xx may pass; any other 4xx (bad key, bad request, refused image) will not.
 */
export function classifyOpenAiStatus(status: number | undefined): PromptFailureKind {
  if (status === undefined) return 'transient';
  if (status === 408 || status === 409 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

/** Deliveries of the prompt message that may try GPT; the last one falls back instead. */
export const PROMPT_GPT_DELIVERIES = 3;

/**
 * After GPT failed: retry later (the message is redelivered) or use the template's
 * built-in prompt now. The seller must get videos even when OpenAI is down.
 */
export function afterGptFailure(kind: PromptFailureKind, deliveryCount: number): 'retry' | 'fallback' {
  switch (kind) {
    case 'permanent':
      return 'fallback';
    case 'transient':
      return deliveryCount < PROMPT_GPT_DELIVERIES ? 'retry' : 'fallback';
    default: {
      const never: never = kind;
      throw new Error(`unknown failure kind ${String(never)}`);
    }
  }
}
