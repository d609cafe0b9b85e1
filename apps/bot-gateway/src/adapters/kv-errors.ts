import { JetStreamApiCodes } from '@nats-io/jetstream';

/**
 * True when a KV create/update lost a race: the key exists (create) or moved on since the
 * revision we read (update). JetStream reports both as "wrong last sequence".
 */
export function isRevisionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (
    code === JetStreamApiCodes.StreamWrongLastSequence ||
    code === JetStreamApiCodes.StreamWrongLastSequenceUnknown ||
    (err instanceof Error && /wrong last sequence/i.test(err.message))
  );
}
