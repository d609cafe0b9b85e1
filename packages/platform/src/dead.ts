import { headers as natsHeaders } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';

export interface ParkedMessage {
  seq: number;
  subject: string;
  originalSubject: string;
  consumer: string;
  reason: string;
  parkedAt: Date;
}

/** Lists messages parked in the DEAD stream, optionally of one consumer. */
export async function listParked(jsm: JetStreamManager, consumer?: string): Promise<ParkedMessage[]> {
  const info = await jsm.streams.info('DEAD');
  const out: ParkedMessage[] = [];
  if (info.state.messages === 0) return out;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage('DEAD', { seq }).catch(() => null);
    if (!m) continue;
    const parked = {
      seq,
      subject: m.subject,
      originalSubject: m.header.get('Neurocards-Dead-Subject'),
      consumer: m.header.get('Neurocards-Dead-Consumer'),
      reason: m.header.get('Neurocards-Dead-Reason'),
      parkedAt: m.time,
    };
    if (!consumer || parked.consumer === consumer) out.push(parked);
  }
  return out;
}

/**
 * Publishes a parked message again on its original subject and removes it from DEAD.
 * It goes out without a Nats-Msg-Id, so the duplicate window does not drop it; every
 * consumer of the subject sees it again, and the idempotent handlers ignore what they
 * already processed.
 */
export async function replayParked(js: JetStreamClient, jsm: JetStreamManager, seq: number): Promise<string> {
  const m = await jsm.streams.getMessage('DEAD', { seq });
  if (!m) throw new Error(`no parked message ${seq}`);
  const subject = m.header.get('Neurocards-Dead-Subject');
  if (!subject) throw new Error(`parked message ${seq} has no original subject`);
  const h = natsHeaders();
  h.set('Neurocards-Replayed-From', `DEAD:${seq}`);
  await js.publish(subject, m.data, { headers: h });
  await jsm.streams.deleteMessage('DEAD', seq);
  return subject;
}
