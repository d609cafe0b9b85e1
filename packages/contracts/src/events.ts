import { z } from 'zod';
import {
  accountName,
  aspectRatio,
  chatRef,
  failureClass,
  kieErrorClass,
  locale,
  modelId,
  photoRef,
  telegramId,
  templateId,
  uuidLike,
  videoCount,
  videoSpec,
  WISHES_MAX_LENGTH,
} from './common';
import { PACK_CREDITS_MAX, RESUME_PATTERN, STARS_MAX } from './payments';

// ---- orders ---------------------------------------------------------------------------

/** The seller confirmed an order of `count` videos from one photo. Produced by bot-gateway. */
export const orderPlaced = chatRef.extend({
  orderId: uuidLike,
  template: templateId,
  wishes: z.string().max(WISHES_MAX_LENGTH).nullable(),
  count: videoCount,
  photo: photoRef,
  /**
   * Model, orientation and length of every video of the order, and the price of one video
   * in credits: billing holds `count × creditsPerVideo`. Optional only so that an order
   * placed before the catalogue existed still decodes: it means the dispatcher's default
   * model, portrait, its default length, and 1 credit.
   */
  spec: videoSpec.optional(),
  creditsPerVideo: z.number().int().positive().max(1000).optional(),
});

// ---- billing --------------------------------------------------------------------------

/** `amount` credits are held for the order; `balance` is what remains spendable. */
export const creditsReserved = chatRef.extend({
  orderId: uuidLike,
  amount: z.number().int().positive(),
  balance: z.number().int().nonnegative(),
});

/** The order could not be paid; nothing was held. */
export const creditsRejected = chatRef.extend({
  orderId: uuidLike,
  requested: z.number().int().positive(),
  balance: z.number().int().nonnegative(),
  reason: z.enum(['insufficient_credits']),
});

/** One held credit was spent on a delivered video. */
export const creditsCaptured = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  userId: telegramId,
  amount: z.number().int().positive(),
  balance: z.number().int().nonnegative(),
});

/** One held credit went back to the balance because its video failed. */
export const creditsRefunded = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  userId: telegramId,
  amount: z.number().int().positive(),
  balance: z.number().int().nonnegative(),
  reason: failureClass,
});

/** Credits were granted (admin `/grant`, welcome bonus, sandbox demo credits). */
export const creditsGranted = z.object({
  grantId: uuidLike,
  userId: telegramId,
  amount: z.number().int().positive(),
  balance: z.number().int().nonnegative(),
  /** Who granted: an admin's Telegram id, or a system name such as `welcome`. */
  grantedBy: z.union([telegramId, z.string().min(1)]),
  /** The recipient's language when the granter knows it (the notifier defaults to Russian). */
  locale: locale.optional(),
});

/** Telegram's charge id of a Stars payment (`successful_payment.telegram_payment_charge_id`). */
const chargeId = z.string().min(1).max(256);
/** A button back to the seller's order after a top-up (contracts `RESUME_PATTERN`). */
const resume = z.string().regex(RESUME_PATTERN);

/**
 * A pack of credits was bought with Stars: the purchase is a ledger row keyed by the charge
 * id, so it is granted once whatever repeats. `balance` is the spendable balance after it.
 */
export const creditsPurchased = chatRef.extend({
  chargeId,
  purchaseId: z.string().min(8).max(32),
  credits: z.number().int().positive(),
  stars: z.number().int().positive(),
  balance: z.number().int().nonnegative(),
  /** Where "Continue the order" under the receipt leads, when the top-up came from an order. */
  resume: resume.optional(),
});

// ---- payments (bot-gateway) ------------------------------------------------------------

/**
 * Telegram confirmed a Stars payment (`successful_payment`,
 * https://core.telegram.org/bots/api#successfulpayment) for an invoice the gateway sent.
 * Produced by bot-gateway with event id derived from the charge id; billing grants once.
 */
export const starPaid = chatRef.extend({
  /** `telegram_payment_charge_id`: the key of the purchase, and what `/refund` names. */
  chargeId,
  /** `provider_payment_charge_id` (for Stars, Telegram's own). */
  providerChargeId: z.string().max(256),
  credits: z.number().int().positive().max(PACK_CREDITS_MAX),
  /** `total_amount` in XTR: what the seller paid. */
  stars: z.number().int().positive().max(STARS_MAX),
  purchaseId: z.string().min(8).max(32),
  /** When the invoice was made (from the payload). */
  invoiceCreatedAt: z.iso.datetime({ offset: true }),
  resume: resume.optional(),
});

// ---- jobs (orchestrator) ---------------------------------------------------------------

const jobRef = chatRef.extend({
  orderId: uuidLike,
  jobId: uuidLike,
  /** 1-based number of the video within its order ("Video 2 of 3"). */
  index: z.number().int().min(1),
  count: videoCount,
});

/** Internal step: a job needs its video prompt written. Consumed by orchestrator itself. */
export const promptRequested = jobRef;

/** The prompt of a job is written (by GPT, or the template's built-in prompt as fallback). */
export const promptReady = jobRef.extend({
  prompt: z.string().min(1).max(10_000),
  source: z.enum(['openai', 'template']),
});

/** The first video of an order went to KIE: "Generation started" (once per order). */
export const generationStarted = chatRef.extend({
  orderId: uuidLike,
  count: videoCount,
});

/** A video is generated and waits to be sent to the chat. */
export const videoReady = jobRef.extend({
  videoUrl: z.url(),
});

/** The video reached the chat; billing captures its credit. */
export const videoDelivered = jobRef;

/** The video failed for good; billing refunds its credit, notifier tells the seller. */
export const videoFailed = jobRef.extend({
  reason: failureClass,
  detail: z.string().max(2000).optional(),
});

/** Every video of the order has an outcome. */
export const orderCompleted = chatRef.extend({
  orderId: uuidLike,
  count: videoCount,
  delivered: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});

// ---- kie (dispatcher) -----------------------------------------------------------------

/** Command to kie-dispatcher: make this video. Attempts and retries are the dispatcher's. */
export const taskSubmit = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  prompt: z.string().min(1).max(10_000),
  photo: photoRef,
  aspectRatio,
  /** The model; absent means the dispatcher's default model. */
  model: modelId.optional(),
  /** Seconds; absent means the model's default length. */
  duration: z.number().int().positive().max(60).optional(),
  /** @deprecated Sora 2's frame count from before the catalogue; read as 10 or 15 seconds. */
  nFrames: z.enum(['10', '15']).optional(),
  /**
   * The seller (Telegram user id) the video is for: the queue serves sellers in turn. Absent
   * in commands from before fair share: the order counts as its own seller.
   */
  seller: telegramId.optional(),
  /** 1-based number of the video within its order: first videos go first. Absent: 1. */
  index: z.number().int().min(1).optional(),
});

// ---- users ----------------------------------------------------------------------------

/**
 * A user chose the bot's language with /language. Produced by bot-gateway; the notifier keeps
 * each chat's choice so that admin alerts come in the admin's language (design §1).
 */
export const languageSet = z.object({
  userId: telegramId,
  chatId: telegramId,
  locale,
  /** When the user chose it: a late redelivery of an older choice never overrides a newer one. */
  setAt: z.string().datetime(),
});

/**
 * Command to kie-dispatcher from the seller ("Cancel queued videos"): cancel the order's
 * videos not yet sent to KIE. Each one cancelled ends as `kie.task.failed.v1` with reason
 * `cancelled` (the orchestrator fails the job, billing refunds its credit); videos already at
 * KIE go on. Only the order's own seller can cancel it. Idempotent.
 */
export const queueCancel = z.object({
  orderId: uuidLike,
  /** The seller who pressed the button: it must be the order's. */
  userId: telegramId,
});

/**
 * Videos are waiting and nothing could be submitted to KIE for `QUEUE_STALL_ALERT` (every key
 * blocked, cooling or full). Once per episode; admins are alerted.
 */
export const queueStalled = z.object({
  /** When the last submission happened (or the episode began, if none since start). */
  since: z.iso.datetime({ offset: true }),
  /** Videos waiting for a key. */
  waiting: z.number().int().nonnegative(),
});

/** Submissions go out again after a stall (or nothing waits any more). */
export const queueRecovered = z.object({
  /** When the stall began. */
  since: z.iso.datetime({ offset: true }),
  waiting: z.number().int().nonnegative(),
});

/** KIE accepted a task for the job (one per attempt). */
export const taskSubmitted = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  attempt: z.number().int().min(1),
  taskId: z.string().min(1),
  keyName: z.string().min(1),
});

export const taskSucceeded = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  attempt: z.number().int().min(1),
  taskId: z.string().min(1),
  videoUrls: z.array(z.url()).min(1),
});

/** The job's KIE work ended without a video, after the dispatcher's retries where allowed. */
export const taskFailed = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  attempt: z.number().int().min(1),
  taskId: z.string().min(1).nullable(),
  reason: failureClass,
  /** Class of the last error seen, for stats and support. */
  lastErrorClass: kieErrorClass.nullable(),
  code: z.number().int().nullable(),
  message: z.string().max(2000),
});

/**
 * A KIE key (401) or a whole account (402: every key of it) was blocked until `until`.
 * Admins are alerted.
 */
export const keyBlocked = z.object({
  keyName: z.string().min(1),
  /** The key's account; absent in events from before accounts existed. */
  account: accountName.optional(),
  /** `account` when every key of the account was blocked (402), else `key`. */
  scope: z.enum(['key', 'account']).optional(),
  code: z.number().int().nullable(),
  message: z.string().max(2000),
  until: z.iso.datetime({ offset: true }),
  /** True when no key is left that can take work. */
  allKeysBlocked: z.boolean(),
});

/**
 * A model answered with a configuration error on an account (422 naming the model or a
 * parameter, 505 feature disabled): it is marked unavailable there until an admin turns
 * it back on. Sent once per (model, account); admins are alerted.
 */
export const modelUnavailable = z.object({
  model: modelId,
  account: accountName,
  code: z.number().int().nullable(),
  /** KIE's own message. */
  message: z.string().max(2000),
  /** False when no account can run the model any more: the bot stopped offering it. */
  stillOffered: z.boolean(),
});

/** An account's KIE credit balance fell below `KIE_CREDIT_ALERT` (sent once per fall). */
export const creditsLow = z.object({
  account: accountName,
  credits: z.number(),
  threshold: z.number(),
});

/** An account's KIE credit balance is back at or above `KIE_CREDIT_ALERT`. */
export const creditsRecovered = creditsLow;

// ---- notify ---------------------------------------------------------------------------

export const videoSent = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  chatId: telegramId,
  messageId: z.number().int(),
  /**
   * Telegram's file_id of the sent video (sendVideo's answer: message.video.file_id,
   * https://core.telegram.org/bots/api#video). It does not expire, unlike KIE's result URL,
   * so the video can be sent again from /orders. Absent when Telegram's answer had none.
   */
  fileId: z.string().min(1).max(256).optional(),
});

/**
 * The notifier gave up on sending a ready video for good (bot blocked, chat not found,
 * result URL expired, file too big). The orchestrator fails the job and billing refunds.
 */
export const videoUndeliverable = z.object({
  orderId: uuidLike,
  jobId: uuidLike,
  chatId: telegramId,
  reason: z.string().min(1).max(500),
});

// ---- telegram -------------------------------------------------------------------------

/**
 * A Telegram update fetched by bot-gateway's long polling, stored before the offset moves on
 * (getUpdates with offset = update_id + 1 confirms it to Telegram), so a crash of the gateway
 * loses none. Produced and consumed by bot-gateway. `update` is the Bot API Update object as
 * received (https://core.telegram.org/bots/api#update); grammY checks the rest.
 */
export const telegramUpdateReceived = z.object({
  /** The bot that fetched it: a gateway handles only its own bot's updates. */
  botId: telegramId,
  update: z.looseObject({ update_id: z.number().int().nonnegative() }),
});
