import type { Logger, Sql } from '@neurocards/platform';
import type { PhotoStore } from '../adapters/photos';
import type { PromptWriter } from '../adapters/openai';
import type { SagaMetrics } from '../adapters/metrics';

/** Everything the handlers need, passed in by main.ts (and by tests). */
export interface Deps {
  sql: Sql;
  log: Logger;
  photos: PhotoStore;
  /** Null without OPENAI_API_KEY: every prompt comes from its template. */
  writer: PromptWriter | null;
  /** GENERATION_DEADLINE in ms (per attempt; the dispatcher enforces it). */
  generationDeadlineMs: number;
  /** PROMPT_PER_SELLER: GPT calls at once for one seller (default 2). */
  promptPerSeller?: number;
  /** How long a prompt request waits in hand for its seller's turn (default 3 s; tests: 0). */
  promptTurnWaitMs?: number;
  clock?: () => Date;
  /** The saga's business metrics; absent in tests that do not read them. */
  metrics?: SagaMetrics;
}
