import { z } from 'zod';
import { locale, photoRef, templateId, videoCount, videoSpec, WISHES_MAX_LENGTH } from '@neurocards/contracts';

/**
 * The conversation state of one chat, stored in KV `bot_sessions`. A draft moves through
 * five steps (template → wishes → video → count → confirm), shown in ONE message that is
 * edited in place; its `id` is carried in every button's callback data, so a button of an
 * older (or finished) draft is recognised as outdated.
 */
export const DRAFT_STEPS = ['template', 'wishes', 'video', 'count', 'confirm'] as const;
export const draftStep = z.enum(DRAFT_STEPS);
export type DraftStep = z.infer<typeof draftStep>;

export const draftSchema = z.object({
  step: draftStep,
  /** Short random id, part of the callback data (which Telegram caps at 64 bytes). */
  id: z.string().min(1).max(16),
  /** Generated with the draft, so a repeated Confirm publishes the same order. */
  orderId: z.string().min(8).max(128),
  photo: photoRef,
  /** The message the draft is built in (edited at each step); unknown until it is sent. */
  messageId: z.number().int().positive().optional(),
  template: templateId.optional(),
  /** Wishes typed, or null when skipped; undefined until the wishes step is passed. */
  wishes: z.string().max(WISHES_MAX_LENGTH).nullable().optional(),
  /** The wishes came from the photo's caption: the wishes step is skipped. */
  fromCaption: z.boolean().optional(),
  /** Model, orientation and length, pre-selected with the model's defaults at the video step. */
  spec: videoSpec.optional(),
  /** The chosen model's price and name, as shown (and held) when the seller confirms. */
  creditsPerVideo: z.number().int().positive().optional(),
  modelLabel: z.string().min(1).max(60).optional(),
  count: videoCount.optional(),
});

export type Draft = z.infer<typeof draftSchema>;
/** A draft at Confirm: everything an order needs is there. */
export type ConfirmDraft = Draft &
  Required<Pick<Draft, 'template' | 'spec' | 'creditsPerVideo' | 'modelLabel' | 'count'>> & {
    wishes: string | null;
    step: 'confirm';
  };

export function isComplete(d: Draft): d is ConfirmDraft {
  return (
    d.step === 'confirm' &&
    d.template !== undefined &&
    d.wishes !== undefined &&
    d.spec !== undefined &&
    d.creditsPerVideo !== undefined &&
    d.modelLabel !== undefined &&
    d.count !== undefined
  );
}

/** How many album ids a session remembers (an album arrives within seconds). */
export const ALBUMS_KEPT = 5;

export const sessionSchema = z.object({
  v: z.literal(2),
  locale,
  /** The seller chose the language with /language: Telegram's language_code no longer overrides it. */
  localeChosen: z.boolean().optional(),
  draft: draftSchema.nullable(),
  /**
   * The draft whose order was published last: a Confirm pressed again on its summary is
   * answered "already taken" instead of "outdated".
   */
  placed: z
    .object({
      draftId: z.string().min(1).max(16),
      orderId: z.string().min(8).max(128),
      /** What was ordered: "More videos of this photo" and "Another template" start from it. */
      draft: draftSchema.optional(),
    })
    .optional(),
  /** media_group_id of the latest albums: their further photos start no draft. */
  albums: z.array(z.string().min(1).max(64)).max(ALBUMS_KEPT).optional(),
});

export type Session = z.infer<typeof sessionSchema>;

export function newSession(loc: Session['locale']): Session {
  return { v: 2, locale: loc, draft: null };
}

/** A stored value that no longer parses (older version, corruption) starts a fresh session. */
export function parseSession(json: unknown): Session | null {
  const r = sessionSchema.safeParse(json);
  return r.success ? r.data : null;
}
