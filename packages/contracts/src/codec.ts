import type { Catalog, EventData, Subject } from './catalog';
import { catalog, isSubject } from './catalog';
import type { Envelope } from './envelope';
import { envelopeSchema, randomId } from './envelope';

export class ContractError extends Error {
  readonly code = 'CONTRACT_VIOLATION';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ContractError';
  }
}

export interface NewEvent<S extends Subject> {
  subject: S;
  data: EventData<S>;
  correlationId: string;
  causationId?: string | null;
  /** Defaults to a random id; pass a deterministic one when the cause may repeat. */
  id?: string;
  occurredAt?: Date;
}

/** Builds and validates an envelope; throws ContractError when `data` breaks the schema. */
export function createEvent<S extends Subject>(e: NewEvent<S>): Envelope<EventData<S>> & { type: S } {
  const parsed = catalog[e.subject].safeParse(e.data);
  if (!parsed.success) {
    throw new ContractError(`invalid data for ${e.subject}: ${parsed.error.message}`, { cause: parsed.error });
  }
  return {
    id: e.id ?? randomId(),
    type: e.subject,
    occurredAt: (e.occurredAt ?? new Date()).toISOString(),
    correlationId: e.correlationId,
    causationId: e.causationId ?? null,
    data: parsed.data as EventData<S>,
  };
}

export type AnyEvent = { [S in Subject]: Envelope<EventData<S>> & { type: S } }[Subject];

/** Parses raw bytes/JSON received on `subject`; throws ContractError on anything off-contract. */
export function decodeEvent(subject: string, raw: Uint8Array | string): AnyEvent {
  if (!isSubject(subject)) throw new ContractError(`unknown subject ${subject}`);
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
  } catch (err) {
    throw new ContractError(`payload on ${subject} is not JSON`, { cause: err });
  }
  const env = envelopeSchema.safeParse(json);
  if (!env.success) throw new ContractError(`bad envelope on ${subject}: ${env.error.message}`);
  if (env.data.type !== subject) {
    throw new ContractError(`envelope type ${env.data.type} does not match subject ${subject}`);
  }
  const schema = catalog[subject] as Catalog[Subject];
  const data = schema.safeParse(env.data.data);
  if (!data.success) throw new ContractError(`bad data on ${subject}: ${data.error.message}`);
  return { ...env.data, data: data.data } as AnyEvent;
}

export function encodeEvent(event: Envelope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(event));
}
