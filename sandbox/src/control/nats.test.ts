import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectTestNats, uniqueName } from '@neurocards/platform/testing';
import { dispatcherStats, jetStreamState, natsLink } from './nats.js';

let nc: NatsConnection;
const stream = uniqueName('CTL').replace(/[^A-Za-z0-9_]/g, '_');
const subject = `${stream.toLowerCase()}.>`;
beforeAll(async () => {
  nc = await connectTestNats();
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [subject] });
  await jsm.consumers.add(stream, { durable_name: 'worker', ack_policy: AckPolicy.Explicit, filter_subject: subject });
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

describe('JetStream and dispatcher state', () => {
  it("lists each consumer's pending, ack pending and lag", async () => {
    const js = jetstream(nc);
    const base = subject.slice(0, -2);
    for (let i = 0; i < 3; i++) await js.publish(`${base}.x`, `m${i}`);
    let view = await jetStreamState(nc, [stream]);
    expect(view).toMatchObject({ ok: true, streams: [{ name: stream, messages: 3, lastSeq: 3, consumers: [{ name: 'worker', numPending: 3, numAckPending: 0, lag: 3, seqGap: 3 }] }] });

    // One message delivered and not acked: it moves from pending to ack pending; the lag stays 3 until it is acked.
    const consumer = await js.consumers.get(stream, 'worker');
    const m = await consumer.next({ expires: 2000 });
    expect(m).not.toBeNull();
    view = await jetStreamState(nc, [stream]);
    expect(view.ok && view.streams[0]?.consumers[0]).toMatchObject({ numPending: 2, numAckPending: 1, lag: 3, seqGap: 2, lastDelivered: expect.any(String) });
    await m?.ackAck();
    view = await jetStreamState(nc, [stream]);
    expect(view.ok && view.streams[0]?.consumers[0]).toMatchObject({ numPending: 2, numAckPending: 0, lag: 2, lastAcked: expect.any(String) });
  });

  it('lists a stream that does not exist yet with no consumers', async () => {
    expect(await jetStreamState(nc, [`${stream}_NONE`])).toMatchObject({ ok: true, streams: [{ messages: 0, consumers: [] }] });
  });

  it("returns the dispatcher's kie.keys.stats answer", async () => {
    const sub = nc.subscribe('kie.keys.stats', { max: 1, callback: (_err, msg) => void msg.respond(JSON.stringify({ queueDepth: 4, keys: [], accounts: [], models: [] })) });
    expect(await dispatcherStats(nc)).toEqual({ ok: true, stats: { queueDepth: 4, keys: [], accounts: [], models: [] } });
    sub.unsubscribe();
  });

  it('says the dispatcher is not answering when the request fails', async () => {
    const closed = await connectTestNats();
    await closed.close();
    expect(await dispatcherStats(closed)).toMatchObject({ ok: false, error: expect.stringContaining('dispatcher not answering') });
  });

  it('reports an unreachable server as an error instead of throwing', async () => {
    const link = natsLink(() => Promise.reject(new Error('connection refused')));
    expect(await link.get()).toEqual({ error: 'NATS not reachable (connection refused)' });
  });
});
