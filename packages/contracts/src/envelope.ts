import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The envelope every event travels in. `id` doubles as the JetStream `Nats-Msg-Id`,
 * so a re-published event is dropped by the server's duplicate window.
 */
export const envelopeSchema = z.object({
  /** Unique event id; deterministic where the event is the result of a deterministic cause. */
  id: z.string().min(1).max(128),
  /** The subject the event is published on, e.g. `orders.order.placed.v1`. */
  type: z.string().min(1),
  /** ISO-8601 instant the event happened. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** The order id the event belongs to (or another stable id for order-less flows). */
  correlationId: z.string().min(1),
  /** Id of the event or request that caused this one; null for external causes. */
  causationId: z.string().min(1).nullable(),
  data: z.unknown(),
});

export type Envelope<T = unknown> = Omit<z.infer<typeof envelopeSchema>, 'data'> & { data: T };

const NAMESPACE = 'neurocards.events';

/**
 * A UUID-shaped id derived from its parts, so that the same cause always produces the
 * same event id: a handler that runs twice re-publishes the same id and JetStream drops it.
 */
export function deterministicId(...parts: Array<string | number>): string {
  const hex = createHash('sha256').update([NAMESPACE, ...parts.map(String)].join('\u0000')).digest('hex');
  // Format as an RFC 4122 version-8 (custom) UUID.
  const v = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${v}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

export function randomId(): string {
  return randomUUID();
}
