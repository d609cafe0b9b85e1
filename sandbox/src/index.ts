// The HTTP simulators of the three external APIs (Telegram Bot API, KIE Market and Veo 3.1 APIs, OpenAI).
export { startTelegramSim, DEFAULT_TELEGRAM_BEHAVIOR } from './telegram/sim.js';
export type { TelegramSim, TelegramSimOptions } from './telegram/sim.js';
export type { SimMessage, SimUser, TelegramBehavior, InlineKeyboardMarkup, TgUpdate, TgMessage } from './telegram/types.js';
export type { UserMessage } from './telegram/user.js';
export { startKieSim, DEFAULT_KIE_BEHAVIOR } from './kie/sim.js';
export type { KieSim, KieSimOptions, KieSimTask } from './kie/sim.js';
export { CONTENT_FAILURE, TRANSIENT_FAILURE, VEO_CONTENT_FAILURE, VEO_TRANSIENT_FAILURE } from './kie/types.js';
export type { KieBehavior, KieRecord, TaskState, VeoRecord } from './kie/types.js';
export { MODELS as KIE_SIM_MODELS } from './kie/models.js';
export type { Family as KieFamily, ModelSpec as KieModelSpec, FieldSpec as KieFieldSpec } from './kie/models.js';
export { MODEL_NOT_SUPPORTED as KIE_MODEL_NOT_SUPPORTED } from './kie/validate.js';
export type { AccountStats as KieAccountStats, KeyCaps as KieKeyCaps } from './kie/accounts.js';
export { sign as kieWebhookSignature } from './kie/callbacks.js';
export { startOpenAiSim } from './openai/sim.js';
export type { OpenAiSim, OpenAiSimOptions, OpenAiBehavior } from './openai/sim.js';
export { makeTinyMp4 } from './shared/mp4.js';
export { TINY_PNG } from './shared/image.js';
