import { openObjectStore, type NatsConnection, type ObjectStore, type Sql } from '@neurocards/platform';
import { connectTestNats, uniqueName } from '@neurocards/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAiSim, TINY_PNG, type OpenAiSim } from '@neurocards/sandbox';
import { createOpenAiWriter } from '../adapters/openai';
import { objectStorePhotos } from '../adapters/photos';
import { PROMPT_GPT_DELIVERIES } from '../domain/prompt';
import { createHandlers } from './index';
import * as store from '../adapters/store';
import { TransientError } from '@neurocards/platform';
import { ctx, jobsOf, newOrder, outboxOf, setupDatabase, testDeps } from '../../test/support';

let db: Awaited<ReturnType<typeof setupDatabase>>;
let sql: Sql;
let nc: NatsConnection;
let os: ObjectStore;
let sim: OpenAiSim;
const keys: string[] = [];

beforeAll(async () => {
  db = await setupDatabase();
  sql = db.sql;
  nc = await connectTestNats();
  os = await openObjectStore(nc, 'photos', 1);
  sim = await startOpenAiSim({ apiKey: 'sk-test' });
});
afterAll(async () => {
  for (const k of keys) await os?.delete(k).catch(() => undefined);
  await sim?.close();
  await nc?.close();
  await db?.close();
});

const handlers = (apiKey = 'sk-test', promptTurnWaitMs = 0) =>
  createHandlers(
    testDeps(sql, {
      photos: objectStorePhotos(os),
      writer: createOpenAiWriter({ apiKey, baseURL: sim.baseUrl, model: 'gpt-4o-mini', timeoutMs: 5000, maxRetries: 0 }),
      promptTurnWaitMs,
    }),
  );

/** A placed and paid order whose photo is in the object store; returns its prompt requests. */
async function paidOrder(h: ReturnType<typeof createHandlers>, count: 1 | 3 = 1, userId = 111222333) {
  const objectKey = uniqueName('orchestrator-photo');
  keys.push(objectKey);
  await os.putBlob({ name: objectKey }, TINY_PNG);
  const o = newOrder(count, {
    template: 'ad',
    photo: { objectKey, mimeType: 'image/png', sizeBytes: TINY_PNG.length, fileUniqueId: objectKey },
    userId,
    chatId: userId,
  });
  await h['orders.order.placed.v1'](o.placed as never, ctx());
  await h['billing.credits.reserved.v1'](o.reserved as never, ctx());
  const requests = (await outboxOf(sql, o.orderId, 'jobs.prompt.requested.v1')).map((r) => r.payload as never);
  return { ...o, requests };
}

const sources = async (orderId: string) =>
  (await outboxOf(sql, orderId, 'jobs.prompt.ready.v1')).map((r) => r.payload.data.source);

describe('prompt step with GPT', () => {
  it('writes each prompt with GPT from the stored photo, one request per video', async () => {
    const h = handlers();
    const before = sim.requests().length;
    const { orderId, requests } = await paidOrder(h, 3);
    for (const r of requests) await h['jobs.prompt.requested.v1'](r, ctx());

    expect(await sources(orderId)).toEqual(['openai', 'openai', 'openai']);
    const sent = sim.requests().slice(before) as Array<{ messages: Array<{ content: unknown }> }>;
    expect(sent).toHaveLength(3);
    const dataUrl = `data:image/png;base64,${Buffer.from(TINY_PNG).toString('base64')}`;
    for (const body of sent) expect(JSON.stringify(body.messages[1]!.content)).toContain(dataUrl);
    // Each video of the order asked GPT for a different direction.
    expect(new Set(sent.map((b) => JSON.stringify(b.messages[1]!.content))).size).toBe(3);
    const submits = await outboxOf(sql, orderId, 'kie.task.submit.v1');
    expect(submits.map((s) => s.payload.data.prompt)).toEqual(
      (await jobsOf(sql, orderId)).map((j) => j.prompt),
    );

    // A redelivery after the job moved on calls nobody.
    await h['jobs.prompt.requested.v1'](requests[0]!, ctx(2));
    expect(sim.requests().length).toBe(before + 3);
  });

  it('retries a failing OpenAI a couple of times, then falls back to the template', async () => {
    const h = handlers();
    const { orderId, requests } = await paidOrder(h);
    sim.setBehavior({ failNext: PROMPT_GPT_DELIVERIES });
    for (let delivery = 1; delivery < PROMPT_GPT_DELIVERIES; delivery++) {
      await expect(h['jobs.prompt.requested.v1'](requests[0]!, ctx(delivery))).rejects.toMatchObject({ code: 'TRANSIENT' });
      expect((await jobsOf(sql, orderId))[0]!.state).toBe('prompting');
    }
    await h['jobs.prompt.requested.v1'](requests[0]!, ctx(PROMPT_GPT_DELIVERIES));
    expect(await sources(orderId)).toEqual(['template']);
    expect((await jobsOf(sql, orderId))[0]!.state).toBe('submitted');
    sim.setBehavior({ failNext: 0 });
  });

  it('falls back at once when OpenAI refuses the key (401)', async () => {
    const h = handlers('sk-wrong');
    const { orderId, requests } = await paidOrder(h);
    await h['jobs.prompt.requested.v1'](requests[0]!, ctx(1));
    expect(await sources(orderId)).toEqual(['template']);
    expect(await outboxOf(sql, orderId, 'kie.task.submit.v1')).toHaveLength(1);
  });

  it('uses the template when the photo is gone from the store', async () => {
    const h = handlers();
    const before = sim.requests().length;
    const { orderId, requests } = await paidOrder(h);
    await os.delete(keys.at(-1)!);
    await h['jobs.prompt.requested.v1'](requests[0]!, ctx(1));
    expect(await sources(orderId)).toEqual(['template']);
    expect(sim.requests().length).toBe(before);
  });
});

describe('prompt turns per seller', () => {
  /**
   * A seller's order of 3 whose first two prompts are being written (by this or another
   * replica): both of the seller's turns are taken.
   */
  async function twoTurnsTaken(h: ReturnType<typeof createHandlers>, seller: number) {
    const a = await paidOrder(h, 3, seller);
    const [r1, r2, r3] = a.requests as [never, never, never];
    const now = new Date();
    const until = new Date(now.getTime() + 60_000);
    for (const r of [r1, r2] as { data: { jobId: string } }[])
      expect(await store.takePromptTurn(sql, { jobId: r.data.jobId, userId: seller, now, until, perSeller: 2 })).toBe(true);
    return { a, r1, r3 };
  }

  it('gives one seller at most PROMPT_PER_SELLER GPT calls at once; other sellers go first', async () => {
    const h = handlers();
    const heavy = 700_000_000 + Math.floor(Math.random() * 1e6);
    const { a, r1, r3 } = await twoTurnsTaken(h, heavy);
    // The third waits: the message comes back later, nothing is written.
    await expect(h['jobs.prompt.requested.v1'](r3, ctx())).rejects.toBeInstanceOf(TransientError);
    expect(await sources(a.orderId)).toEqual([]);
    // Another seller is not held back.
    const b = await paidOrder(h, 1, heavy + 1);
    await h['jobs.prompt.requested.v1'](b.requests[0] as never, ctx());
    expect(await sources(b.orderId)).toEqual(['openai']);
    // One of the two finishes: its turn frees, and the third goes.
    await h['jobs.prompt.requested.v1'](r1, ctx());
    await h['jobs.prompt.requested.v1'](r3, ctx(2));
    expect(await sources(a.orderId)).toHaveLength(2);
  });

  it('waits in hand a moment for a turn that frees, instead of handing the message back', async () => {
    const h = handlers('sk-test', 5000);
    const { a, r1, r3 } = await twoTurnsTaken(h, 710_000_000 + Math.floor(Math.random() * 1e6));
    // The third waits for a turn; the first finishes meanwhile and frees one.
    const third = h['jobs.prompt.requested.v1'](r3, ctx());
    await new Promise((r) => setTimeout(r, 300));
    expect(await sources(a.orderId)).toEqual([]);
    await h['jobs.prompt.requested.v1'](r1, ctx());
    await third;
    expect(await sources(a.orderId)).toHaveLength(2);
  });
});
