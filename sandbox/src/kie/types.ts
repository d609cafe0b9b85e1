/** How the KIE simulator behaves; change it per test with `setBehavior`. */
export interface KieBehavior {
  /** Time from createTask to the final state (waiting → queuing → generating → success|fail). */
  latencyMs: number;
  /** When set, each task takes a uniformly random time in [latencyMs, latencyMaxMs]. */
  latencyMaxMs?: number;
  /** Delay before every HTTP answer. */
  requestLatencyMs: number;
  /** Keys (or account names: all their keys) whose new tasks answer an error: 401 unauthorized, 402 no credits, 433 usage limit, 505 disabled. */
  accountErrors: Record<string, 401 | 402 | 433 | 505>;
  /** A prompt containing this marker is refused as breaking content rules. */
  refusalMarker: string;
  /** An image URL containing this marker cannot be fetched: the new task answers 451 (empty: never). */
  unfetchableImageMarker: string;
  /** Refuse at createTask (422) or accept and end the task in `fail` with a content-policy reason. */
  refusalMode: 'createTask' | 'task';
  /** KIE: 20 new tasks per 10 s per account (all its keys, both families); more answer 429. */
  rateLimit: { tasks: number; windowMs: number };
  /** Unfinished tasks an account may have at once (KIE: typically 100+); more answer 429. */
  runningCap: number;
  /** The next N createTask calls answer 429 / 455 (maintenance) / 500. */
  force429Next: number;
  maintenanceNext: number;
  failNext: number;
  /** Probability that a createTask or recordInfo call answers 500. */
  serverErrorRate: number;
  /** The next N new tasks (or this share of them) end in `fail` with a transient, non-content reason. */
  taskFailNext: number;
  taskFailRate: number;
  /**
   * The next N new tasks are accepted and end in `fail` with the content-policy reason, whatever
   * their prompt: KIE also moderates the generated video, so one of several tasks with the same
   * prompt can be refused while the others succeed.
   */
  refuseNext: number;
  /** Probability that a finished task's callback is never sent. */
  lostCallbackRate: number;
  /** Extra copies of every callback, and the probability of one extra copy. */
  duplicateCallbacks: number;
  duplicateCallbackRate: number;
  /** recordInfo answers `data: null` for this long after creation ("data may be null while a task is young"). */
  recordNullMs: number;
  /** Answer errors with HTTP 200 and the code only in the body (the body `code` is always set). */
  errorsAsHttp200: boolean;
  /** When set, every task costs this many credits instead of its model's price. */
  taskCost?: number;
  /** Share of new tasks accepted and then refused as breaking content rules (as `refuseNext`, at random). */
  refusalRate: number;
  /** Share of createTask calls answered 402 "credits insufficient" (the account's billing), whatever the balance. */
  noCreditsRate: number;
  /** Share of createTask calls answered 429, on top of the real window and running cap. */
  rateLimitRate: number;
  /**
   * Failure shares for one account or one key (keyed by its name): a key's value wins over its
   * account's, which wins over the global field above of the same name (the sandbox control panel).
   */
  rates: Record<string, Partial<KieRates>>;
}

/** The failure shares that may be set per account or per key, each a probability in [0, 1]. */
export interface KieRates {
  refusalRate: number;
  noCreditsRate: number;
  rateLimitRate: number;
  serverErrorRate: number;
  lostCallbackRate: number;
  duplicateCallbackRate: number;
}
export const KIE_RATE_NAMES = ['refusalRate', 'noCreditsRate', 'rateLimitRate', 'serverErrorRate', 'lostCallbackRate', 'duplicateCallbackRate'] as const satisfies ReadonlyArray<keyof KieRates>;

/** What one key met at createTask and after, counted by the sim (the control panel shows them). */
export interface KieKeyOutcomes {
  /** Tasks accepted. */
  created: number;
  /** Accepted tasks that will end refused for content, and createTask calls refused with 422 for content. */
  refused: number;
  /** createTask answers by error code (401 is not counted: the key is unknown then). */
  noCredits: number;
  rateLimited: number;
  serverErrors: number;
  otherErrors: number;
  /** Tasks whose callback will never be sent, and extra callback copies planned. */
  lostCallbacks: number;
  duplicateCallbacks: number;
}

export type TaskState = 'waiting' | 'queuing' | 'generating' | 'success' | 'fail';

/** The `data` of recordInfo, and of a callback. */
export interface KieRecord {
  taskId: string;
  model: string;
  state: TaskState;
  param: string;
  resultJson: string;
  failCode: string;
  failMsg: string;
  progress: number;
  costTime: number;
  createTime: number;
  updateTime: number;
  completeTime: number | null;
}

/** failCode/failMsg the sim uses; the real service documents neither, so classify by both. */
export const CONTENT_FAILURE = {
  failCode: '400',
  failMsg: 'Your prompt or image was flagged as violating content policies (moderation). Please modify and try again.',
};
export const TRANSIENT_FAILURE = { failCode: '500', failMsg: 'Internal error during generation, please try again later.' };

/** The `data` of Veo's record-info (https://docs.kie.ai/veo3-api/get-veo-3-video-details). */
export interface VeoRecord {
  taskId: string;
  paramJson: string;
  completeTime: string | null;
  response: { taskId: string; resultUrls: string[]; originUrls: string[]; resolution: string } | null;
  successFlag: 0 | 1 | 2 | 3;
  errorCode: number | null;
  errorMessage: string;
  createTime: string;
  fallbackFlag: boolean;
}

/** Veo failure codes and wording from https://docs.kie.ai/veo3-api/generate-veo-3-video-callbacks (400 content, 501 failed). */
export const VEO_CONTENT_FAILURE = { errorCode: 400, errorMessage: 'Your prompt was flagged by Website as violating content policies.' };
export const VEO_TRANSIENT_FAILURE = { errorCode: 501, errorMessage: 'Video generation failed, please try again later.' };

export class KieError extends Error {
  constructor(
    readonly code: number,
    msg: string,
  ) {
    super(msg);
  }
}
