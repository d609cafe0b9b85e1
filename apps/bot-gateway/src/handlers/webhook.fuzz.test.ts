import fc from 'fast-check';
import { Bot } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { buildHttpServer, createMetrics, openKv } from '@neurocards/platform';
import { connectTestNats, silentLogger, uniqueName } from '@neurocards/platform/testing';
import { createUpdateDedup, type UpdateDedup } from '../adapters/update-dedup';
import { t } from '../i18n';
import { guard } from './guard';
import { registerWebhookRoute, WEBHOOK_PATH } from './webhook';
import { textUpdate } from '../../test/support';

/**
 * Hostile input on `POST /telegram/webhook` (issue 7): whatever arrives, the answer is a
 * clean 4xx unless it is a real update with the right secret, the bot sees nothing, the
 * de-duplication records nothing, and the server keeps answering.
 */

const RUNS = 10_000;
/** Generous: 10,000 injects take a few seconds, on a shared machine maybe more. */
const TIMEOUT = 180_000;
const SECRET = 'right-Secret_0123456789';
const BODY_LIMIT = 1024 * 1024;

const botInfo = {
  id: 1,
  is_bot: true,
  first_name: 'Test',
  username: 'test_bot',
} as UserFromGetMe;

let nc: NatsConnection;
beforeAll(async () => {
  nc = await connectTestNats();
});
afterAll(async () => {
  await nc.drain();
});

async function setup() {
  const kv = await openKv(nc, 'bot_updates', 1);
  const real = createUpdateDedup(kv, { prefix: `${uniqueName('whfuzz')}.` });
  let claims = 0;
  const dedup: UpdateDedup = {
    claim: (id, u) => {
      claims++;
      return real.claim(id, u);
    },
  };
  const bot = new Bot('1:test', { botInfo });
  const seen: number[] = [];
  bot.use(guard({ dedup, t, log: silentLogger(), rethrow: true }));
  bot.use((ctx) => void seen.push(ctx.update.update_id));
  // The platform's server, as the service runs it (its body limit included).
  const app = buildHttpServer({ log: silentLogger(), metrics: createMetrics('test'), isReady: () => true });
  registerWebhookRoute(app, bot, SECRET, silentLogger());
  await app.ready();
  return { app, seen, claims: () => claims };
}

const update = textUpdate;

/** Header-safe text (what an HTTP client can send at all). */
const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 300 });

/** A secret header that is not the right one: missing, random, or a near miss. */
const wrongSecret = fc.oneof(
  fc.constant(undefined),
  headerText.filter((s) => s !== SECRET),
  fc.integer({ min: 0, max: SECRET.length - 1 }).map((n) => SECRET.slice(0, n)),
  headerText.filter((s) => s.length > 0).map((s) => SECRET + s),
  fc.nat({ max: SECRET.length - 1 }).map((i) => SECRET.slice(0, i) + (SECRET[i] === 'x' ? 'y' : 'x') + SECRET.slice(i + 1)),
  fc.constant(SECRET.toUpperCase()),
);

const contentType = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
  ),
  headerText,
);

/** Any body: JSON text of any value, arbitrary text, arbitrary bytes, or a real update. */
const anyBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
  fc.string({ maxLength: 2000 }),
  fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
  fc.nat().map((id) => JSON.stringify(update(id))),
);

/** A JSON body that is not an update: no non-negative integer `update_id`. */
const notAnUpdate = fc
  .oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
    fc.record({ update_id: fc.oneof(fc.string(), fc.double(), fc.integer({ max: -1 }), fc.constant(null)) }),
    fc.array(fc.constant(update(1))),
  )
  .filter((v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return true;
    const id = (v as { update_id?: unknown }).update_id;
    return !(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0);
  });

function headers(secret: string | undefined, type: string | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (secret !== undefined) h['x-telegram-bot-api-secret-token'] = secret;
  if (type !== undefined) h['content-type'] = type;
  return h;
}

const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;

describe('POST /telegram/webhook under hostile input', () => {
  it(`refuses ${RUNS} requests with a wrong or missing secret, whatever the body and type`, async () => {
    const { app, seen, claims } = await setup();
    const before = heapMb();
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(wrongSecret, contentType, anyBody, async (secret, type, body) => {
        const res = await app.inject({ method: 'POST', url: WEBHOOK_PATH, headers: headers(secret, type), payload: body });
        statuses.add(res.statusCode);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(seen).toEqual([]);
    expect(claims()).toBe(0);
    // The secret check itself was reached (not only the parser's refusals).
    expect(statuses).toContain(401);
    // Bounded memory: nothing is kept per refused request (a generous bound, no gc() needed).
    expect(heapMb() - before).toBeLessThan(128);
    // Still alive and still working.
    const ok = await app.inject({ method: 'POST', url: WEBHOOK_PATH, headers: headers(SECRET, undefined), payload: update(7) });
    expect(ok.statusCode).toBe(200);
    expect(seen).toEqual([7]);
    await app.close();
  }, TIMEOUT);

  it(`answers ${RUNS} malformed bodies with the right secret by a 4xx, and handles nothing`, async () => {
    const { app, seen, claims } = await setup();
    const malformed = fc.oneof(
      // Not JSON at all, under a JSON content type.
      fc.string({ maxLength: 500 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }).map((payload) => ({ payload, type: 'application/json' })),
      // JSON, but not an update.
      notAnUpdate.map((v) => ({ payload: JSON.stringify(v), type: 'application/json' })),
      // An update under a content type the server does not parse.
      fc
        .constantFrom('text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'text/html')
        .map((type) => ({ payload: JSON.stringify(update(3)), type })),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async ({ payload, type }) => {
        const res = await app.inject({ method: 'POST', url: WEBHOOK_PATH, headers: headers(SECRET, type), payload });
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(seen).toEqual([]);
    expect(claims()).toBe(0);
    await app.close();
  }, TIMEOUT);

  it('refuses a body over the limit with 413, before the bot sees it', async () => {
    const { app, seen, claims } = await setup();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: BODY_LIMIT + 1, max: 4 * BODY_LIMIT }), fc.boolean(), async (size, right) => {
        // A real update padded past the limit.
        const payload = JSON.stringify({ ...update(9), pad: 'x'.repeat(size) });
        const res = await app.inject({
          method: 'POST',
          url: WEBHOOK_PATH,
          headers: headers(right ? SECRET : 'wrong', 'application/json'),
          payload,
        });
        expect(res.statusCode).toBe(413);
      }),
      { numRuns: 30 },
    );
    expect(seen).toEqual([]);
    expect(claims()).toBe(0);
    await app.close();
  }, TIMEOUT);
});
