import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { createEvent, deadSubject, type ConsumerDef } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { jetstream, jetstreamManager, provisionConsumers, provisionStreams } from './nats';
import { startConsumer, type RunningConsumer } from './consumer';
import { createPublisher } from './publish';
import { PermanentError, TransientError } from './errors';
import { listParked, replayParked } from './dead';
import { connectTestNats, eventually, silentLogger, uniqueName } from './testing';

const subject = 'notify.video.sent.v1' as const;
let nc: NatsConnection;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  nc = await connectTestNats();
  await provisionStreams(await jetstreamManager(nc), 1);
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await nc.drain();
});

/** A consumer on the shared NOTIFY stream that only sees events of this test (by correlationId). */
async function setup(handler: (orderId: string, delivery: number) => Promise<void>, maxDeliver = 3) {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const run = uniqueName('run');
  const def: ConsumerDef & { subject: typeof subject } = { durable: uniqueName('test'), subject, maxDeliver, ackWaitSeconds: 5 };
  await provisionConsumers(jsm, 'NOTIFY', [def], { onlyNew: true });
  cleanups.push(() => jsm.consumers.delete('NOTIFY', def.durable));
  const running: RunningConsumer = await startConsumer({
    js,
    stream: 'NOTIFY',
    def,
    log: silentLogger(),
    concurrency: 4,
    backoff: () => 50,
    handler: async (ev, ctx) => {
      if (!ev.correlationId.startsWith(run)) return; // another run's message
      await handler(ev.correlationId, ctx.deliveryCount);
    },
  });
  cleanups.push(() => running.stop());
  const publish = createPublisher(js);
  const send = (orderId: string, id?: string) =>
    publish(createEvent({ subject, data: validFixtures[subject], correlationId: `${run}-${orderId}`, ...(id ? { id } : {}) }));
  return { js, run, def, send, running };
}

async function deadMessages(durable: string) {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info('DEAD', { subjects_filter: `dead.${durable}.>` }).catch(() => null);
  return info?.state.subjects ? Object.values(info.state.subjects).reduce((a, b) => a + b, 0) : 0;
}

describe('startConsumer', () => {
  it('handles each event and acks it', async () => {
    const seen: string[] = [];
    const { send, run } = await setup(async (id) => void seen.push(id));
    await send('a');
    await send('b');
    await eventually(() => seen.length === 2);
    expect(seen.sort()).toEqual([`${run}-a`, `${run}-b`]);
  });

  it('drops a re-published event id through the duplicate window', async () => {
    const seen: string[] = [];
    const { send } = await setup(async (id) => void seen.push(id));
    const id = uniqueName('dup');
    await send('x', id);
    await send('x', id);
    await send('y');
    await eventually(() => seen.length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((s) => s.endsWith('-x'))).toHaveLength(1);
  });

  it('redelivers after a transient failure', async () => {
    const deliveries: number[] = [];
    const { send } = await setup(async (_id, delivery) => {
      deliveries.push(delivery);
      if (delivery < 2) throw new TransientError('try later', 20);
    });
    await send('t');
    await eventually(() => deliveries.includes(2));
    expect(deliveries).toEqual([1, 2]);
  });

  it('parks a permanently failing message in DEAD and stops delivering it', async () => {
    let calls = 0;
    const { send, def } = await setup(async () => {
      calls++;
      throw new PermanentError('broken invariant');
    });
    await send('p');
    await eventually(async () => (await deadMessages(def.durable)) === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(1);
  });

  it('parks a message after its last allowed delivery', async () => {
    let calls = 0;
    const { send, def } = await setup(async () => {
      calls++;
      throw new Error('always fails');
    }, 2);
    await send('e');
    await eventually(async () => (await deadMessages(def.durable)) === 1);
    expect(calls).toBe(2);
  });

  it('never parks a message that fails transiently, however often', async () => {
    let calls = 0;
    const { send, def } = await setup(async () => {
      calls++;
      if (calls <= 4) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }, 2);
    await send('outage');
    await eventually(() => calls === 5);
    expect(await deadMessages(def.durable)).toBe(0);
  });

  it('parks an undecodable message without calling the handler', async () => {
    let calls = 0;
    const { js, def } = await setup(async () => void calls++);
    await js.publish(subject, new TextEncoder().encode('{"not":"an envelope"}'));
    await eventually(async () => (await deadMessages(def.durable)) >= 1);
    expect(calls).toBe(0);
    const jsm = await jetstreamManager(nc);
    const msg = await jsm.streams.getMessage('DEAD', { last_by_subj: deadSubject(def.durable, subject) });
    expect(msg?.header.get('Neurocards-Dead-Reason')).toMatch(/undecodable/);
  });

  it('replays a parked message to its consumer once the cause is fixed', async () => {
    let broken = true;
    const handled: string[] = [];
    const { send, def, run } = await setup(async (id) => {
      if (broken) throw new PermanentError('bug');
      handled.push(id);
    });
    await send('r');
    await eventually(async () => (await deadMessages(def.durable)) === 1);
    broken = false;
    const jsm = await jetstreamManager(nc);
    const [parked] = await listParked(jsm, def.durable);
    expect(parked).toMatchObject({ consumer: def.durable, originalSubject: subject, reason: expect.stringMatching(/bug/) });
    await replayParked(jetstream(nc), jsm, parked!.seq);
    await eventually(() => handled.length === 1);
    expect(handled).toEqual([`${run}-r`]);
    expect(await listParked(jsm, def.durable)).toEqual([]);
  });

  it('finishes in-flight work before stop() resolves', async () => {
    let finished = false;
    let started = false;
    const { send, running } = await setup(async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 300));
      finished = true;
    });
    await send('s');
    await eventually(() => started);
    await running.stop();
    expect(finished).toBe(true);
  });
});

describe('stopping a consumer while messages arrive', () => {
  it('loses none of the messages it was sent: each is handled at once, none waits out the ack wait', async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const run = uniqueName('run');
    // An ack wait far longer than the test: a message the stopped consumer dropped would
    // only come back after it.
    const def: ConsumerDef & { subject: typeof subject } = { durable: uniqueName('stop'), subject, maxDeliver: 5, ackWaitSeconds: 120 };
    await provisionConsumers(jsm, 'NOTIFY', [def], { onlyNew: true });
    cleanups.push(() => jsm.consumers.delete('NOTIFY', def.durable));
    const handled = new Set<string>();
    const start = () =>
      startConsumer({
        js,
        stream: 'NOTIFY',
        def,
        log: silentLogger(),
        concurrency: 4,
        handler: async (ev) => {
          if (!ev.correlationId.startsWith(run)) return;
          await new Promise((r) => setTimeout(r, 2));
          handled.add(ev.correlationId);
        },
      });
    const publish = createPublisher(js);
    const total = 300;
    const sending = (async () => {
      for (let i = 0; i < total; i++)
        await publish(createEvent({ subject, data: validFixtures[subject], correlationId: `${run}-${i}` }));
    })();
    // Stop and start again several times while messages flow, each time mid-stream.
    for (let round = 0; round < 6; round++) {
      const running = await start();
      await eventually(() => handled.size > (round + 1) * 20 || handled.size === total, 10_000, 1);
      await running.stop();
    }
    await sending;
    const last = await start();
    cleanups.push(() => last.stop());
    await eventually(() => handled.size === total, 15_000).catch(() => undefined);
    const info = await jsm.consumers.info('NOTIFY', def.durable);
    expect({ handled: handled.size, unacked: info.num_ack_pending }).toEqual({ handled: total, unacked: 0 });
  }, 60_000);
});
