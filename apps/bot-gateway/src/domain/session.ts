import { z } from 'zod';
import { locale, photoRef, templateId, videoCount, videoSpec, WISHES_MAX_LENGTH } from '@neurocards/contracts';

/**
 * The conversation state of one chat, stored in KV `bot_sessions`. A draft moves through
 * four steps; its `id` is carried in every button's callback data, so a button of an
 * older (or finished) draft is recognised as outdated.
 */
const draftBase = z.object({
  /** Short random id, part of the callback data (which Telegram caps at 64 bytes). */
  id: z.string().min(1).max(16),
  /** Generated with the draft, so a repeated Confirm publishes the same order. */
  orderId: z.string().min(8).max(128),
  photo: photoRef,
});

export const draftSchema = z.discriminatedUnion('step', [
  draftBase.extend({ step: z.literal('template') }),
  draftBase.extend({ step: z.literal('wishes'), template: templateId }),
  draftBase.extend({
    step: z.literal('count'),
    template: templateId,
    wishes: z.string().max(WISHES_MAX_LENGTH).nullable(),
  }),
  draftBase.extend({
    step: z.literal('confirm'),
    template: templateId,
    wishes: z.string().max(WISHES_MAX_LENGTH).nullable(),
    count: videoCount,
    /** The model, orientation and length, and the price the summary showed the seller. */
    spec: videoSpec,
    creditsPerVideo: z.number().int().positive(),
    modelLabel: z.string().min(1).max(60),
  }),
]);

export const sessionSchema = z.object({
  v: z.literal(1),
  locale,
  draft: draftSchema.nullable(),
  /**
   * The draft whose order was published last: a Confirm pressed again on its summary is
   * answered "already taken" instead of "outdated". Optional, so older sessions still parse.
   */
  placed: z.object({ draftId: z.string().min(1).max(16), orderId: z.string().min(8).max(128) }).optional(),
});

export type Draft = z.infer<typeof draftSchema>;
export type DraftStep = Draft['step'];
export type ConfirmDraft = Extract<Draft, { step: 'confirm' }>;
export type Session = z.infer<typeof sessionSchema>;

export function newSession(loc: Session['locale']): Session {
  return { v: 1, locale: loc, draft: null };
}

/** A stored value that no longer parses (older version, corruption) starts a fresh session. */
export function parseSession(json: unknown): Session | null {
  const r = sessionSchema.safeParse(json);
  return r.success ? r.data : null;
}
