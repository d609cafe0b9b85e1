import { z } from 'zod';

/** Telegram ids fit in 52 bits, so a JS number holds them exactly. */
export const telegramId = z.number().int().safe();
export const uuidLike = z.string().min(8).max(128);
export const locale = z.enum(['ru', 'en']);
export type Locale = z.infer<typeof locale>;

export const templateId = z.enum(['ugc', 'ad', 'custom']);
export type TemplateId = z.infer<typeof templateId>;

export const videoCount = z.union([z.literal(1), z.literal(3), z.literal(5)]);
export type VideoCount = z.infer<typeof videoCount>;

/** Max length of the seller's wishes / own prompt (docs/design.md §1, step 4). */
export const WISHES_MAX_LENGTH = 1000;
/** Max accepted photo size (docs/design.md §1, step 2). */
export const PHOTO_MAX_BYTES = 10 * 1024 * 1024;
export const PHOTO_MIME_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/**
 * Final failure classes of one video (docs/design.md §1, table). `rate_limited` and `transient`
 * never reach a job's outcome: the dispatcher retries them and ends in `exhausted`.
 * `undeliverable`: the video was made but Telegram cannot take it for this chat (the bot
 * is blocked, the chat is gone, the result URL expired); the credit is refunded.
 */
/** `cancelled`: the seller cancelled the video while it was still queued (never sent to KIE). */
export const failureClass = z.enum(['user_violation', 'billing', 'config', 'exhausted', 'expired', 'undeliverable', 'cancelled']);
export type FailureClass = z.infer<typeof failureClass>;

/**
 * Every class the KIE error classifier can produce, retriable ones included (docs/design.md §1):
 * `config` is our own configuration (a withdrawn model, a rejected parameter, a feature
 * disabled for the account), never the seller's fault; `key_capped` is one key's own
 * usage cap (433), retried at once on another key of the account.
 */
export const kieErrorClass = z.enum(['user_violation', 'billing', 'config', 'key_capped', 'rate_limited', 'transient']);
export type KieErrorClass = z.infer<typeof kieErrorClass>;

/**
 * The product photo as stored by bot-gateway in the `photos` object store bucket.
 * Other services read the bytes from there; nobody hands a Telegram file URL (which
 * contains the bot token) to a third party.
 */
export const photoRef = z.object({
  /** Object name in the `photos` bucket. */
  objectKey: z.string().min(1).max(256),
  mimeType: z.enum(PHOTO_MIME_TYPES),
  sizeBytes: z.number().int().positive().max(PHOTO_MAX_BYTES),
  /** Telegram's file_unique_id, for support and de-duplication. */
  fileUniqueId: z.string().min(1),
});
export type PhotoRef = z.infer<typeof photoRef>;

/** Where to talk to the seller: carried along so the notifier needs no lookups. */
export const chatRef = z.object({
  userId: telegramId,
  chatId: telegramId,
  locale,
});

/**
 * The video's orientation. Each model spells it its own way (`9:16`, `portrait`, …); the
 * dispatcher's model catalogue translates. `portrait` is 9:16, `landscape` 16:9.
 */
export const aspectRatio = z.enum(['portrait', 'landscape']);
export type AspectRatio = z.infer<typeof aspectRatio>;

/** A KIE model id as KIE spells it (`kling-3.0/video`, `veo3_fast`, …). */
export const modelId = z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/);

/** A KIE account's name (`KIE_API_KEYS` entries are `account/name=key`). */
export const accountName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);

/** The video's shape as the seller chose it (defaults when the seller did not choose). */
export const videoSpec = z.object({
  model: modelId,
  aspectRatio,
  /** Seconds; one of the model's durations. */
  duration: z.number().int().positive().max(60),
});
export type VideoSpec = z.infer<typeof videoSpec>;

/**
 * What the bot offers sellers, written by kie-dispatcher to the `kie_models` KV bucket
 * under `MODEL_OFFER_KEY` whenever it changes (start, a model refused by KIE on every
 * account, an admin's `/model on|off`), and read by bot-gateway to build the order.
 * Models come in `KIE_MODELS` order; the first is the default.
 */
export const modelOffer = z.object({
  models: z.array(
    z.object({
      id: modelId,
      /** The seller-facing name, e.g. "Veo 3.1 Fast". */
      label: z.string().min(1).max(60),
      family: z.enum(['market', 'veo']),
      /** Price of one video in our credits (`KIE_MODEL_PRICES`). */
      creditsPerVideo: z.number().int().positive().max(1000),
      /** Seconds the model can make; `defaultDuration` is one of them. */
      durations: z.array(z.number().int().positive().max(60)).min(1),
      defaultDuration: z.number().int().positive().max(60),
      aspectRatios: z.array(aspectRatio).min(1),
      sound: z.boolean(),
    }),
  ),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type ModelOffer = z.infer<typeof modelOffer>;
/** The key of the offer in the `kie_models` bucket. */
export const MODEL_OFFER_KEY = 'offer';
