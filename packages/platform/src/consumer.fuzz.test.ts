import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { ContractError, createEvent, deadSubject, decodeEvent, type ConsumerDef } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { startConsumer } from './consumer';
import { jetstream, jetstreamManager, provisionConsumers, provisionStreams } from './nats';
import { connectTestNats, eventually, silentLogger, uniqueName } from './testing';

/**
 * Hostile input through a real consumer (issue 7): a few hundred undecodable messages are
 * each parked in DEAD exactly once, never reach the handler, and never loop. (The 10,000
 * cases go through the pure decoder in contracts; this checks the runner's side of it.)
 */

const N = 300;
// A subject few other tests publish on, so this test's consumer sees mostly its own messages.
const subject = 'kie.credits.recovered.v1' as const;
let nc: NatsConnection;
/** The correlation id of every envelope this test builds, to recognise one at the handler. */
const run = uniqueName('fuzz-run');

beforeAll(async () => {
  nc = await connectTestNats();
  await provisionStreams(await jetstreamManager(nc), 1);
});
afterAll(async () => {
  await nc.drain();
});

const undecodable = fc
  .oneof(
    fc.uint8Array({ maxLength: 2048 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
    // A valid envelope of another subject, or one with its data broken.
    fc.constantFrom('kie.key.blocked.v1', 'jobs.video.ready.v1').map((s) =>
      new TextEncoder().encode(JSON.stringify(createEvent({ subject: s, data: validFixtures[s], correlationId: run }))),
    ),
    fc.jsonValue({ maxDepth: 2 }).map((data) => {
      const ev = createEvent({ subject, data: validFixtures[subject], correlationId: run });
      return new TextEncoder().encode(JSON.stringify({ ...ev, data }));
    }),
  )
  .filter((bytes) => {
    try {
      decodeEvent(subject, bytes);
      return false;
    } catch (err) {
      return err instanceof ContractError;
    }
  });

describe('consumer runner under hostile input', () => {
  it(`parks each of ${N} undecodable messages once and never hands one to the handler`, async () => {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const def: ConsumerDef = { durable: uniqueName('fuzz'), subject, maxDeliver: 3, ackWaitSeconds: 5 };
    await provisionConsumers(jsm, 'KIE', [def], { onlyNew: true });
    const mine = new Set<string>();
    let handledMine = 0;
    const running = await startConsumer({
      js,
      stream: 'KIE',
      def,
      log: silentLogger(),
      concurrency: 8,
      backoff: () => 50,
      handler: async (ev) => {
        // A decodable event of another test may pass by; one of ours must never get here.
        if (ev.correlationId === run) handledMine++;
      },
    });
    try {
      const payloads = fc.sample(undecodable, { numRuns: N, seed: 7 });
      for (const p of payloads) mine.add(String((await js.publish(subject, p)).seq));
      expect(mine.size).toBe(N);

      const parked = new Map<string, number>();
      await eventually(
        async () => {
          // NATS 2.9 has no multi-filter ordered consumers: walk the durable's DEAD subject.
          parked.clear();
          for (let seq = 1; ; ) {
            const m = await jsm.streams
              // The server's STREAM.MSG.GET takes next_by_subj (2.9+); the client's type omits it.
              .getMessage('DEAD', { seq, next_by_subj: deadSubject(def.durable, subject) } as { seq: number })
              .catch(() => null);
            if (!m) break;
            const orig = m.header.get('Neurocards-Dead-Stream-Seq');
            parked.set(orig, (parked.get(orig) ?? 0) + 1);
            seq = m.seq + 1;
          }
          return [...mine].every((s) => parked.has(s));
        },
        60_000,
        200,
      );
      expect([...mine].filter((s) => parked.get(s) !== 1)).toEqual([]);
      expect(handledMine).toBe(0);
      // Nothing left to redeliver: each one was term()-ed, not left to loop.
      await eventually(async () => {
        const info = await jsm.consumers.info('KIE', def.durable);
        return info.num_ack_pending === 0 && info.num_pending === 0;
      });
    } finally {
      await running.stop();
      await jsm.consumers.delete('KIE', def.durable).catch(() => undefined);
    }
  }, 120_000);
});
