import OpenAI, { APIError } from 'openai';
import { classifyOpenAiStatus, type ChatMessage, type PromptFailureKind } from '../domain/prompt';

/** Writes a video prompt from chat messages; returns GPT's raw text. */
export interface PromptWriter {
  write(messages: ChatMessage[]): Promise<string | null>;
}

/** A failed GPT call, classified: retry later, or give up and use the template. */
export class PromptWriterError extends Error {
  readonly code = 'PROMPT_WRITER_FAILED';
  constructor(
    readonly kind: PromptFailureKind,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PromptWriterError';
  }
}

export interface OpenAiOptions {
  apiKey: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  /** The SDK's own retries of 408/409/429/5xx and network errors; redelivery retries beyond. */
  maxRetries?: number;
}

export function createOpenAiWriter(opts: OpenAiOptions): PromptWriter {
  const client = new OpenAI({
    apiKey: opts.apiKey,
    baseURL: opts.baseURL,
    timeout: opts.timeoutMs,
    maxRetries: opts.maxRetries ?? 1,
  });
  return {
    async write(messages) {
      try {
        const res = await client.chat.completions.create({
          model: opts.model,
          messages,
          // Variety between the videos of one order comes from their directions; some
          // temperature keeps two orders of the same product from reading alike.
          temperature: 0.9,
          max_completion_tokens: 1500,
        });
        return res.choices[0]?.message?.content ?? null;
      } catch (err) {
        const status = err instanceof APIError ? err.status : undefined;
        // The SDK's message never contains the key; keep only status and message.
        const message = err instanceof Error ? err.message : String(err);
        throw new PromptWriterError(classifyOpenAiStatus(status), status, `OpenAI: ${message}`, { cause: err });
      }
    },
  };
}
