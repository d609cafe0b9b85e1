import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpServer, createMetrics } from '@neurocards/platform';
import { insertRunning, manualClock, outboxFor, setupInfra, successBody, testConfig } from '../../test/testing';
import { CALLBACK_MAX_SKEW_MS, signatureOk, webhookSignature } from './callback';

/**
 * Hostile input on `POST /kie/callback/:token` (issue 7): forged, replayed or stale signed
 * callbacks, other tasks' tokens and random bodies get a clean 4xx and change nothing; a
 * replayed genuine callback changes nothing the second time.
 */

const RUNS = 10_000;
const TIMEOUT = 300_000;
const HMAC = 'fuzz-hmac-key';
const BODY_LIMIT = 1024 * 1024;

let env: Awaited<ReturnType<typeof setupInfra>>;
const clock = manualClock();
const nowSec = () => Math.floor(clock.now() / 1000);

beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

async function build() {
  const d = env.dispatcher({ config: testConfig({ KIE_WEBHOOK_HMAC_KEY: HMAC }), clock: clock.now });
  // The platform's server, as the service runs it (its body limit included).
  const app = buildHttpServer({ log: env.log, metrics: createMetrics('test'), isReady: () => true });
  d.registerRoutes(app);
  await app.ready();
  return app;
}

/** Everything a callback could change: tasks, attempts, the outbox. */
async function snapshot() {
  const tasks = await env.sql`select job_id, state, attempt, task_id, callback_token, outcome, last_error_class
                              from tasks order by job_id`;
  const attempts = await env.sql`select * from attempts order by callback_token`;
  const outbox = await env.sql<{ n: string }[]>`select count(*)::text as n from outbox`;
  return JSON.stringify({ tasks, attempts, outbox });
}

const signed = (taskId: string, ts: string, key = HMAC) => ({
  'x-webhook-timestamp': ts,
  'x-webhook-signature': webhookSignature(taskId, ts, key),
});

const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 120 });
const offsetBeyond = fc.oneof(
  fc.integer({ min: CALLBACK_MAX_SKEW_MS / 1000 + 1, max: 10 * 365 * 86_400 }),
  fc.integer({ min: -10 * 365 * 86_400, max: -(CALLBACK_MAX_SKEW_MS / 1000 + 1) }),
);

describe('signatureOk', () => {
  it('accepts a genuine signature only while its timestamp is within 5 minutes either way', () => {
    const now = Date.UTC(2026, 10, 30, 12);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: -900, max: 900 }), (taskId, offset) => {
        const ts = String(Math.floor(now / 1000) + offset);
        const ok = signatureOk(taskId, ts, webhookSignature(taskId, ts, HMAC), HMAC, now);
        expect(ok).toBe(Math.abs(offset) <= 300);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('POST /kie/callback/:token under hostile input', () => {
  it(`refuses ${RUNS} forged, stale, misdirected or malformed callbacks and changes nothing`, async () => {
    const app = await build();
    await insertRunning(env.sql, { keyName: 'k1', taskId: 'task-a', token: 'tok-a', now: clock.now() });
    await insertRunning(env.sql, { keyName: 'k2', taskId: 'task-b', token: 'tok-b', now: clock.now() });
    const mine = { 'tok-a': 'task-a', 'tok-b': 'task-b' } as const;
    const token = fc.constantFrom('tok-a', 'tok-b');
    const other = (t: keyof typeof mine) => (t === 'tok-a' ? 'task-b' : 'task-a');

    type Case = { token: string; body: unknown; headers: Record<string, string> };
    const cases: fc.Arbitrary<Case> = fc.oneof(
      // An unknown token, even with a genuinely signed body.
      fc.tuple(fc.string({ minLength: 1, maxLength: 80 }), token).map(([t, k]) => ({
        token: encodeURIComponent(`x${t}`),
        body: successBody(mine[k]),
        headers: signed(mine[k], String(nowSec())),
      })),
      // Another task's token: the body and signature are the other task's, genuine and fresh.
      token.map((t) => ({ token: t, body: successBody(other(t)), headers: signed(other(t), String(nowSec())) })),
      // Stale or future timestamps, correctly signed (a replay of an old callback).
      fc.tuple(token, offsetBeyond).map(([t, off]) => ({
        token: t,
        body: successBody(mine[t]),
        headers: signed(mine[t], String(nowSec() + off)),
      })),
      // Forged signatures: random text, a wrong key, another task's, another timestamp's.
      fc.tuple(token, headerText).map(([t, sig]) => ({
        token: t,
        body: successBody(mine[t]),
        headers: { 'x-webhook-timestamp': String(nowSec()), 'x-webhook-signature': sig },
      })),
      fc.tuple(token, fc.string({ minLength: 1, maxLength: 40 }).filter((k) => k !== HMAC)).map(([t, key]) => ({
        token: t,
        body: successBody(mine[t]),
        headers: signed(mine[t], String(nowSec()), key),
      })),
      fc.tuple(token, fc.integer({ min: -299, max: 299 }).filter((o) => o !== 0)).map(([t, off]) => ({
        token: t,
        body: successBody(mine[t]),
        headers: {
          'x-webhook-timestamp': String(nowSec()),
          'x-webhook-signature': signed(mine[t], String(nowSec() + off))['x-webhook-signature'],
        },
      })),
      // Malformed timestamps with a signature over them.
      fc.tuple(token, headerText.filter((s) => !/^\d{1,12}$/.test(s))).map(([t, ts]) => ({
        token: t,
        body: successBody(mine[t]),
        headers: signed(mine[t], ts),
      })),
      // Missing headers.
      fc.tuple(token, fc.subarray(['x-webhook-timestamp', 'x-webhook-signature'] as const, { maxLength: 1 })).map(
        ([t, keep]) => {
          const all = signed(mine[t], String(nowSec()));
          return { token: t, body: successBody(mine[t]), headers: Object.fromEntries(keep.map((k) => [k, all[k]])) };
        },
      ),
      // Random bodies: any JSON, or a record whose parts are random, unsigned or signed.
      fc.tuple(token, fc.jsonValue({ maxDepth: 3 }), fc.boolean()).map(([t, body, sign]) => ({
        token: t,
        body,
        headers: sign ? signed(mine[t], String(nowSec())) : {},
      })),
      fc
        .tuple(token, fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), headerText)
        .map(([t, data, sig]) => ({
          token: t,
          body: { code: 200, data: { ...data, taskId: mine[t] } },
          headers: { 'x-webhook-timestamp': String(nowSec()), 'x-webhook-signature': sig },
        })),
    );

    const statuses = new Set<number>();
    const before = await snapshot();
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const res = await app.inject({
          method: 'POST',
          url: `/kie/callback/${c.token}`,
          headers: { 'content-type': 'application/json', ...c.headers },
          payload: JSON.stringify(c.body) ?? 'null',
        });
        statuses.add(res.statusCode);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot()).toBe(before);
    // Each kind of refusal was reached (not one blanket answer such as 415 for every request).
    expect([...statuses].sort()).toEqual([400, 401, 404]);
    // Bounded memory: nothing is kept per refused callback (a generous bound, no gc() needed).
    expect((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toBeLessThan(128);
    // Still alive and still working: the genuine callback is applied.
    const ok = await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-a',
      headers: signed('task-a', String(nowSec())),
      payload: successBody('task-a'),
    });
    expect(ok.statusCode).toBe(200);
    await app.close();
  }, TIMEOUT);

  it('applies a genuine callback once, however often it is replayed within the window', async () => {
    const app = await build();
    const cmd = await insertRunning(env.sql, { keyName: 'k1', taskId: 'task-r', token: 'tok-r', now: clock.now() });
    const headers = signed('task-r', String(nowSec()));
    const send = () => app.inject({ method: 'POST', url: '/kie/callback/tok-r', headers, payload: successBody('task-r') });
    expect((await send()).statusCode).toBe(200);
    const after = await snapshot();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), async (n) => {
        const res = await Promise.all(Array.from({ length: n }, send));
        expect(res.map((r) => r.statusCode)).toEqual(Array(n).fill(200));
      }),
      { numRuns: 200 },
    );
    expect(await snapshot()).toBe(after);
    expect((await outboxFor(env.sql, cmd.data.orderId)).map((e) => e.type)).toEqual(['kie.task.succeeded.v1']);
    await app.close();
  }, TIMEOUT);

  it('refuses a body over the limit with 413 and changes nothing', async () => {
    const app = await build();
    await insertRunning(env.sql, { keyName: 'k1', taskId: 'task-big', token: 'tok-big', now: clock.now() });
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: BODY_LIMIT + 1, max: 4 * BODY_LIMIT }), async (size) => {
        const res = await app.inject({
          method: 'POST',
          url: '/kie/callback/tok-big',
          headers: { ...signed('task-big', String(nowSec())), 'content-type': 'application/json' },
          payload: JSON.stringify({ ...successBody('task-big'), pad: 'x'.repeat(size) }),
        });
        expect(res.statusCode).toBe(413);
      }),
      { numRuns: 20 },
    );
    expect(await snapshot()).toBe(before);
    await app.close();
  }, TIMEOUT);
});
