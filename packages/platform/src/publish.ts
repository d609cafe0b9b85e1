import type { JetStreamClient } from '@nats-io/jetstream';
import { encodeEvent, type Envelope } from '@neurocards/contracts';

export type Publish = (event: Envelope) => Promise<void>;

/**
 * Publishes an already validated envelope (see `createEvent`) and waits for the
 * stream's ack. `msgID` = event id, so a repeated publish within the duplicate
 * window is dropped by the server.
 */
export function createPublisher(js: JetStreamClient): Publish {
  return async (event) => {
    await js.publish(event.type, encodeEvent(event), { msgID: event.id });
  };
}
