import { createEvent, deterministicId, type EventData } from '@neurocards/contracts';
import { enqueue, processOnce, TransientError, type EventOf, type HandlerContext, type Logger } from '@neurocards/platform';
import { PromptWriterError } from '../adapters/openai';
import * as store from '../adapters/store';
import type { JobRow, OrderRow } from '../adapters/store';
import { transition } from '../domain/job-state';
import { afterGptFailure, buildChatMessages, cleanPrompt, fallbackPrompt, toDataUrl, type PromptInput } from '../domain/prompt';
import { templates } from '../domain/templates';
import type { Deps } from './deps';
import { jobRef } from './job-flow';

/** A prompt turn outlasts one GPT call with its retry (the consumer's ack wait is 200 s). */
const PROMPT_TURN_MS = 200_000;
/** A seller at their limit: the message comes back this much later. */
const PROMPT_TURN_RETRY_MS = 2000;
/**
 * How long a prompt request waits in hand for its seller's turn before it goes back to
 * JetStream: a turn usually frees within a GPT call, and a message handed back with a delay
 * can be lost until the ack wait (200 s) when the consumer restarts meanwhile (NATS 2.9
 * delivers the delayed redelivery to the stopped consumer's pull request).
 */
const PROMPT_TURN_WAIT_MS = 3000;
const PROMPT_TURN_POLL_MS = 100;
export const DEFAULT_PROMPT_PER_SELLER = 2;

export interface WrittenPrompt {
  prompt: string;
  source: 'openai' | 'template';
}

/**
 * Writes the job's video prompt and sends the job to KIE. The GPT call runs outside any
 * transaction (it takes seconds); the state change, the prompt and both events commit
 * together afterwards, and only if the job is still waiting for its prompt.
 */
export function onPromptRequested(deps: Deps) {
  const { sql } = deps;
  return async (event: EventOf<'jobs.prompt.requested.v1'>, ctx: HandlerContext): Promise<void> => {
    const { jobId, orderId } = event.data;
    const log = ctx.log.child({ jobId });
    const job = await store.findJob(sql, jobId);
    const order = job && (await store.findOrder(sql, job.orderId));
    if (!job || !order || job.orderId !== orderId) {
      log.warn('prompt requested for an unknown job; ignored');
      return;
    }
    if (job.state !== 'prompting') {
      log.debug({ state: job.state }, 'prompt already written');
      return;
    }

    // GPT takes seconds per prompt: one seller's many videos must not fill every slot of the
    // step. Without a turn the message waits a moment and other sellers' prompts go first.
    const clock = deps.clock ?? (() => new Date());
    if (deps.writer) {
      const take = () => {
        const now = clock();
        return store.takePromptTurn(sql, {
          jobId,
          userId: order.userId,
          now,
          until: new Date(now.getTime() + PROMPT_TURN_MS),
          perSeller: deps.promptPerSeller ?? DEFAULT_PROMPT_PER_SELLER,
        });
      };
      let took = await take();
      const giveUpAt = Date.now() + (deps.promptTurnWaitMs ?? PROMPT_TURN_WAIT_MS);
      while (!took && Date.now() < giveUpAt) {
        await new Promise((r) => setTimeout(r, PROMPT_TURN_POLL_MS));
        took = await take();
      }
      if (!took) throw new TransientError('the seller has every prompt turn', PROMPT_TURN_RETRY_MS);
    }
    let written: WrittenPrompt;
    try {
      written = await writePrompt(deps, order, job, ctx, log);
    } catch (err) {
      if (deps.writer) await store.releasePromptTurn(sql, jobId);
      throw err;
    }

    await processOnce(sql, ctx, event.id, async (tx) => {
      const lockedOrder = (await store.findOrder(tx, orderId, { lock: true }))!;
      const locked = (await store.findJob(tx, jobId, { lock: true }))!;
      const step = transition(locked, { type: 'prompt_written' });
      if (step.kind === 'ignore') {
        // Another replica (or the deadline sweeper) got there while GPT was writing.
        log.info({ state: locked.state, reason: step.reason }, 'prompt no longer needed');
        return;
      }
      const template = templates[lockedOrder.template!];
      await store.updateJob(tx, jobId, {
        state: step.to,
        prompt: written.prompt,
        prompt_source: written.source,
        template_version: template.version,
      });
      const common = { correlationId: orderId, causationId: event.id };
      await enqueue(
        tx,
        createEvent({
          subject: 'jobs.prompt.ready.v1',
          data: { ...jobRef(lockedOrder, locked), prompt: written.prompt, source: written.source },
          id: deterministicId('prompt-ready', jobId),
          ...common,
        }),
        createEvent({
          subject: 'kie.task.submit.v1',
          data: {
            orderId,
            jobId,
            prompt: written.prompt,
            photo: lockedOrder.photo!,
            ...videoShape(lockedOrder),
            // The dispatcher's queue serves sellers in turn, first videos first.
            seller: lockedOrder.userId,
            index: locked.index,
          },
          id: deterministicId('kie-task-submit', jobId),
          ...common,
        }),
      );
      log.info({ source: written.source, length: written.prompt.length }, 'prompt written; job submitted');
    });
  };
}

/**
 * What KIE is asked to make: the order's spec. An order without one (placed before the
 * catalogue) is portrait, and the dispatcher picks its default model and that model's length.
 */
export function videoShape(order: OrderRow): Pick<EventData<'kie.task.submit.v1'>, 'aspectRatio' | 'model' | 'duration'> {
  return {
    aspectRatio: order.aspectRatio ?? 'portrait',
    ...(order.model ? { model: order.model } : {}),
    ...(order.duration ? { duration: order.duration } : {}),
  };
}

/**
 * The length the prompt is written for when the order does not say: the old default
 * (Sora's 10 s); the models of the catalogue make 5 to 10 s by default.
 */
const PROMPT_SECONDS_WITHOUT_SPEC = 10;

/** GPT with the photo when it can; the template's built-in prompt otherwise. */
export async function writePrompt(
  deps: Pick<Deps, 'writer' | 'photos'>,
  order: OrderRow,
  job: JobRow,
  ctx: Pick<HandlerContext, 'working' | 'deliveryCount'>,
  log: Logger,
): Promise<WrittenPrompt> {
  const input: PromptInput = {
    template: order.template!,
    wishes: order.wishes,
    index: job.index,
    count: order.count!,
    locale: order.locale,
    durationSeconds: order.duration ?? PROMPT_SECONDS_WITHOUT_SPEC,
    aspectRatio: order.aspectRatio ?? 'portrait',
  };
  const fallback = (): WrittenPrompt => ({ prompt: fallbackPrompt(input), source: 'template' });
  if (!deps.writer) return fallback();

  const photo = order.photo!;
  let bytes: Uint8Array | null;
  try {
    bytes = await deps.photos.read(photo.objectKey);
  } catch (err) {
    throw new TransientError('photo store unavailable', undefined, { cause: err });
  }
  if (!bytes) {
    log.warn({ objectKey: photo.objectKey }, 'product photo not found; using the template prompt');
    return fallback();
  }

  ctx.working();
  try {
    const raw = await deps.writer.write(buildChatMessages(input, toDataUrl(photo.mimeType, bytes)));
    const prompt = cleanPrompt(raw);
    if (prompt) return { prompt, source: 'openai' };
    log.warn('GPT returned no usable prompt; using the template prompt');
    return fallback();
  } catch (err) {
    if (!(err instanceof PromptWriterError)) throw err;
    const decision = afterGptFailure(err.kind, ctx.deliveryCount);
    log.warn({ err, status: err.status, kind: err.kind, deliveryCount: ctx.deliveryCount, decision }, 'GPT failed');
    if (decision === 'retry') throw new TransientError(err.message, 5000, { cause: err });
    return fallback();
  } finally {
    ctx.working();
  }
}
