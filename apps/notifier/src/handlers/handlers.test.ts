import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { consumers, createEvent, deterministicId, type EventData, type Subject } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { PermanentError, TransientError, type Sql } from '@neurocards/platform';
import { createTestSchema, handlerContext, silentLogger, type TestSchema } from '@neurocards/platform/testing';
import { createChatLocales } from '../adapters/chat-locales';
import { createDeliveryLog } from '../adapters/delivery-log';
import { migrations, SCHEMA } from '../adapters/migrations';
import { createSendScheduler } from '../adapters/scheduler';
import { retryAfterOf, SendFailedError, type TelegramSender } from '../adapters/telegram';
import { classifySendFailure, type SendFailure } from '../domain/telegram-errors';
import { parseRate, RateLimiter } from '../domain/token-bucket';
import { createStatusStore } from '../adapters/status-store';
import type { QueueEstimate } from '../domain/progress';
import { createDeliverer, request, type Deliver } from './deliver';
import { createStatusMessages, type StatusMessages } from './status';
import { createHandlers, SUMMARY_MAX_WAITS, type NotifierHandlers, type NotifierSubject } from './index';

const log = silentLogger();
let db: TestSchema;
let sql: Sql;

beforeAll(async () => {
  db = await createTestSchema(SCHEMA, migrations);
  sql = db.sql;
});
afterAll(async () => {
  await db?.close();
});

/** A stand-in for the Telegram port (the HTTP API itself is exercised against the simulator). */
class FakeTelegram implements TelegramSender {
  sent: Array<{ chatId: number; text?: string; videoUrl?: string; caption?: string; messageId: number }> = [];
  /** Failures to throw, per chat, consumed one per call. */
  failures = new Map<number, SendFailure[]>();
  private nextId = 500;

  private maybeFail(chatId: number) {
    const f = this.failures.get(chatId)?.shift();
    if (f) throw new SendFailedError(classifySendFailure(f), f);
  }
  async sendText(chatId: number, text: string) {
    this.maybeFail(chatId);
    const messageId = ++this.nextId;
    this.sent.push({ chatId, text, messageId });
    return { messageId };
  }
  async sendVideo(chatId: number, videoUrl: string, caption: string) {
    this.maybeFail(chatId);
    const messageId = ++this.nextId;
    this.sent.push({ chatId, videoUrl, caption, messageId });
    return { messageId, via: 'url' as const };
  }
  edits: Array<{ chatId: number; messageId: number; text: string; buttons: number }> = [];
  async editText(chatId: number, messageId: number, text: string, buttons?: readonly { text: string; data: string }[]) {
    this.maybeFail(chatId);
    const msg = this.sent.find((x) => x.messageId === messageId);
    if (msg?.text === text) return 'unchanged' as const;
    if (msg) msg.text = text;
    this.edits.push({ chatId, messageId, text, buttons: buttons?.length ?? 0 });
    return 'edited' as const;
  }
  to(chatId: number) {
    return this.sent.filter((s) => s.chatId === chatId);
  }
}

const ADMINS = [9001, 9002];
let tg: FakeTelegram;
let handlers: NotifierHandlers;
let balance: number | null;
let settled: boolean;
/** Real counts from the delivery log when set; otherwise every order's messages count as done. */
let realOrderMessages: boolean;

const fastScheduler = () =>
  createSendScheduler({
    limiter: new RateLimiter(parseRate('1000/1s'), parseRate('1000/1s'), Date.now()),
    maxWaitMs: 2000,
    retryAfterOf,
  });
/** A deliverer on the real delivery log and the fake Telegram, with limits out of the way. */
const newDeliverer = () => createDeliverer({ sql, deliveryLog: createDeliveryLog(sql), sender: tg, scheduler: fastScheduler() });

/** What the dispatcher answers to kie.queue.estimate, per request (null: no answer). */
let estimate: (req: { seller: number; orderId?: string | undefined }) => QueueEstimate | null;
let status: StatusMessages;
const newStatus = (deliver: Deliver) =>
  createStatusMessages({ store: createStatusStore(sql), deliver, sender: tg, scheduler: fastScheduler(), estimate: async (r) => estimate(r), log });

beforeEach(() => {
  tg = new FakeTelegram();
  balance = 17;
  settled = true;
  realOrderMessages = false;
  estimate = () => null;
  const deliver = newDeliverer();
  status = newStatus(deliver);
  handlers = createHandlers({
    deliver,
    status,
    settlement: async () => (balance === null ? null : { found: true, settled, balance }),
    orderMessages: (orderId) =>
      realOrderMessages ? createDeliveryLog(sql).orderMessages(orderId) : Promise.resolve({ videosSent: 99, failuresDone: 99 }),
    supportContact: '@help',
    adminIds: ADMINS,
    chatLocales: createChatLocales(sql),
  });
});

let seq = 0;
/** Fixture data with a fresh order/job/chat, so tests never see each other's rows. */
function data<S extends NotifierSubject>(s: S, patch: Partial<EventData<S>> = {}): EventData<S> {
  seq++;
  const ids = { orderId: `order-${seq}-${Date.now()}`, jobId: `job-${seq}-${Date.now()}`, chatId: 100_000 + seq, userId: 100_000 + seq };
  const base = { ...validFixtures[s] } as Record<string, unknown>;
  for (const k of Object.keys(ids) as Array<keyof typeof ids>) if (k in base) base[k] = ids[k];
  if ('grantId' in base) base.grantId = `grant-${seq}-${Date.now()}`;
  return { ...base, ...patch } as EventData<S>;
}
const event = <S extends NotifierSubject>(subject: S, d: EventData<S>) =>
  createEvent({ subject, data: d, correlationId: 'orderId' in d ? String(d.orderId) : 'none' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const run = (subject: NotifierSubject, e: any, deliveryCount = 1) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (handlers[subject] as any)(e, handlerContext('notifier-test', { log, deliveryCount }));

const outboxSent = (jobId: string) =>
  sql<{ payload: { data: { messageId: number; chatId: number } } }[]>`
    select payload from outbox where subject = 'notify.video.sent.v1' and payload->'data'->>'jobId' = ${jobId}`;
const outboxUndeliverable = (jobId: string) =>
  sql<{ id: string; payload: { id: string; correlationId: string; data: { orderId: string; jobId: string; chatId: number; reason: string } } }[]>`
    select id, payload from outbox where subject = 'notify.video.undeliverable.v1' and payload->'data'->>'jobId' = ${jobId}`;
const row = async (key: string) => (await sql`select * from deliveries where message_key = ${key}`)[0];

describe('handlers', () => {
  it('cover every consumer of the notifier in the topology', () => {
    const subjects = consumers.notifier.map((c) => c.subject as Subject).sort();
    expect(Object.keys(handlers).sort()).toEqual(subjects);
  });

  it.each([
    ['billing.credits.reserved.v1', 'Ваш проект взят в работу'],
    ['billing.credits.rejected.v1', '@help'],
    ['billing.credits.granted.v1', 'начислены кредиты'],
    ['jobs.video.failed.v1', 'нарушает правила'],
    ['jobs.order.completed.v1', 'Баланс: 17'],
  ] as const)('%s: one message, and none on redelivery', async (subject, snippet) => {
    const d = data(subject);
    const chatId = 'chatId' in d ? d.chatId : d.userId;
    const e = event(subject, d);
    await run(subject, e);
    await run(subject, e);
    expect(tg.to(chatId)).toHaveLength(1);
    expect(tg.to(chatId)[0]!.text).toContain(snippet);
  });

  it('says nothing about the welcome bonus, which the greeting already announces', async () => {
    const d = { ...data('billing.credits.granted.v1'), grantedBy: 'welcome' };
    await run('billing.credits.granted.v1', event('billing.credits.granted.v1', d));
    expect(tg.to(d.userId)).toHaveLength(0);
  });

  it('the status message is sent once per order, even under two event ids', async () => {
    const d = data('billing.credits.reserved.v1');
    await run('billing.credits.reserved.v1', event('billing.credits.reserved.v1', d));
    await run('billing.credits.reserved.v1', event('billing.credits.reserved.v1', d));
    expect(tg.to(d.chatId)).toHaveLength(1);
  });
});

describe('the status message', () => {
  const queued = (position: number, waitSeconds: number, waiting = 3): QueueEstimate => ({
    position,
    waitSeconds,
    lastWaitSeconds: waitSeconds + 60,
    waiting,
  });
  /** The order's status row made due and its last edit a minute old, as time passing would. */
  const aMinuteLater = (orderId: string) =>
    sql`update status_messages set next_check_at = now(), last_edit_at = last_edit_at - interval '61 seconds',
               created_at = created_at - interval '61 seconds' where order_id = ${orderId}`;
  /** Runs loop rounds until this order's turn has passed (other tests' rows may be due too). */
  const loop = async () => {
    while (await status.tick());
  };
  const reservedThen = async (est: (r: { orderId?: string | undefined }) => QueueEstimate | null) => {
    const d = data('billing.credits.reserved.v1');
    estimate = est;
    await run('billing.credits.reserved.v1', event('billing.credits.reserved.v1', d));
    return d;
  };

  it('one message for reserved and started: taken into work with the queue line, then edited in place', async () => {
    const d = await reservedThen(() => queued(12, 25 * 60));
    const [msg] = tg.to(d.chatId);
    expect(msg!.text).toContain('Ваш проект взят в работу');
    expect(msg!.text).toContain(`кредитов: ${d.amount}`);
    expect(msg!.text).toContain(`Осталось кредитов: ${d.balance}`);
    expect(msg!.text).toContain('в очереди перед вашим: 12');
    expect(msg!.text).toContain('примерно через 25 мин');

    const started = { ...data('jobs.generation.started.v1'), orderId: d.orderId, chatId: d.chatId, userId: d.userId };
    estimate = () => queued(0, 200, 2);
    await run('jobs.generation.started.v1', event('jobs.generation.started.v1', started));
    await run('jobs.generation.started.v1', event('jobs.generation.started.v1', started));
    expect(tg.to(d.chatId)).toHaveLength(1);
    expect(tg.edits).toHaveLength(1);
    expect(tg.edits[0]).toMatchObject({ chatId: d.chatId, messageId: msg!.messageId, buttons: 1 });
    expect(tg.edits[0]!.text).toContain('Генерация началась. Ещё в очереди: 2');
    expect(tg.edits[0]!.text).toContain('Ваш проект взят в работу');
  });

  it('without an answer from the dispatcher, a neutral line; a new order asks as if confirmed now until its videos are queued', async () => {
    const asked: Array<string | undefined> = [];
    const d = await reservedThen((r) => {
      asked.push(r.orderId);
      return r.orderId ? { position: 0, waitSeconds: null, lastWaitSeconds: null, waiting: 0 } : null;
    });
    expect(asked).toEqual([d.orderId, undefined]);
    expect(tg.to(d.chatId)[0]!.text).toContain('Видео придут сюда, как только будут готовы');
  });

  it('started before the message went: the message says so, and started sends nothing of its own', async () => {
    const d = data('billing.credits.reserved.v1');
    const started = { ...data('jobs.generation.started.v1'), orderId: d.orderId, chatId: d.chatId, userId: d.userId };
    estimate = () => queued(0, 30, 1);
    await run('jobs.generation.started.v1', event('jobs.generation.started.v1', started));
    expect(tg.to(d.chatId)).toHaveLength(0);
    await run('billing.credits.reserved.v1', event('billing.credits.reserved.v1', d));
    expect(tg.to(d.chatId)).toHaveLength(1);
    expect(tg.to(d.chatId)[0]!.text).toContain('Генерация началась');
  });

  it('the loop edits a long wait when the queue moves, not when it stands, at most once a minute, never after the first video', async () => {
    let position = 60;
    const d = await reservedThen(() => queued(position, position * 30));
    const editsOf = () => tg.edits.filter((x) => x.chatId === d.chatId);

    // A minute later the queue stood: no edit.
    await aMinuteLater(d.orderId);
    await loop();
    expect(editsOf()).toHaveLength(0);

    // It moved: one edit.
    position = 30;
    await aMinuteLater(d.orderId);
    await loop();
    expect(editsOf()).toHaveLength(1);
    expect(editsOf()[0]!.text).toContain('в очереди перед вашим: 30');

    // It moved again within the minute: nothing yet, even when the order is due.
    position = 10;
    await sql`update status_messages set next_check_at = now() where order_id = ${d.orderId}`;
    await loop();
    await run('jobs.generation.started.v1', event('jobs.generation.started.v1', { ...data('jobs.generation.started.v1'), orderId: d.orderId, chatId: d.chatId, userId: d.userId }));
    expect(editsOf()).toHaveLength(1);

    // The first video arrived: the message is no longer watched.
    await run('jobs.video.ready.v1', event('jobs.video.ready.v1', { ...data('jobs.video.ready.v1'), orderId: d.orderId, chatId: d.chatId, userId: d.userId }));
    await aMinuteLater(d.orderId);
    await loop();
    expect(editsOf()).toHaveLength(1);
    const [r] = await sql`select next_check_at from status_messages where order_id = ${d.orderId}`;
    expect(r!.next_check_at).toBeNull();
  });

  it('a wait under two minutes is not watched; a message that is gone stops the watch', async () => {
    const short = await reservedThen(() => queued(1, 90));
    const [a] = await sql`select next_check_at from status_messages where order_id = ${short.orderId}`;
    expect(a!.next_check_at).toBeNull();

    let position = 50;
    const d = await reservedThen(() => queued(position, 1800));
    position = 5;
    tg.failures.set(d.chatId, [{ type: 'api', errorCode: 400, description: 'Bad Request: message to edit not found' }]);
    await aMinuteLater(d.orderId);
    await loop();
    const [b] = await sql`select next_check_at from status_messages where order_id = ${d.orderId}`;
    expect(b!.next_check_at).toBeNull();
  });

  it('a status message the chat never got (bot blocked) is not watched', async () => {
    const d = data('billing.credits.reserved.v1');
    estimate = () => queued(40, 1800);
    tg.failures.set(d.chatId, [{ type: 'api', errorCode: 403, description: 'Forbidden: bot was blocked by the user' }]);
    await run('billing.credits.reserved.v1', event('billing.credits.reserved.v1', d));
    await aMinuteLater(d.orderId);
    await loop();
    const [r] = await sql`select next_check_at from status_messages where order_id = ${d.orderId}`;
    expect(r!.next_check_at).toBeNull();
    expect(tg.edits.filter((x) => x.chatId === d.chatId)).toHaveLength(0);
  });

  it('two replicas: each due order is looked at by one of them', async () => {
    let position = 80;
    const d = await reservedThen(() => queued(position, 2400));
    position = 20;
    await aMinuteLater(d.orderId);
    const other = newStatus(newDeliverer());
    await Promise.all([loop(), (async () => { while (await other.tick()); })()]);
    expect(tg.edits.filter((x) => x.chatId === d.chatId)).toHaveLength(1);
  });
});

describe('video ready', () => {
  it('sends the video once and enqueues notify.video.sent once, with the message id', async () => {
    const d = data('jobs.video.ready.v1', { index: 2, count: 3 });
    const e = event('jobs.video.ready.v1', d);
    await run('jobs.video.ready.v1', e);
    await run('jobs.video.ready.v1', e);
    // A re-emission of the same fact under a new event id changes nothing either.
    await run('jobs.video.ready.v1', event('jobs.video.ready.v1', d));
    const sent = tg.to(d.chatId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ videoUrl: d.videoUrl, caption: expect.stringMatching(/^Видео 2 из 3 · заказ № /) });
    const out = await outboxSent(d.jobId);
    expect(out).toHaveLength(1);
    expect(out[0]!.payload.data).toMatchObject({ chatId: d.chatId, messageId: sent[0]!.messageId, orderId: d.orderId });
    expect(await row(`job:${d.jobId}:video`)).toMatchObject({ status: 'sent', telegram_message_id: String(sent[0]!.messageId) });
  });

  it('a blocked bot (403): recorded as undeliverable with one notify.video.undeliverable, never retried', async () => {
    const d = data('jobs.video.ready.v1');
    tg.failures.set(d.chatId, [{ type: 'api', errorCode: 403, description: 'Forbidden: bot was blocked by the user' }]);
    const e = event('jobs.video.ready.v1', d);
    await expect(run('jobs.video.ready.v1', e)).resolves.toBeUndefined();
    await run('jobs.video.ready.v1', e);
    // The same fact re-emitted under a new event id adds nothing either.
    await run('jobs.video.ready.v1', event('jobs.video.ready.v1', d));
    expect(tg.to(d.chatId)).toHaveLength(0);
    expect(tg.failures.get(d.chatId)).toHaveLength(0);
    expect(await outboxSent(d.jobId)).toHaveLength(0);
    expect(await row(`job:${d.jobId}:video`)).toMatchObject({ status: 'undeliverable', telegram_message_id: null });
    const out = await outboxUndeliverable(d.jobId);
    expect(out).toHaveLength(1);
    expect(out[0]!.id).toBe(deterministicId('notify.video.undeliverable.v1', d.jobId));
    expect(out[0]!.payload.correlationId).toBe(d.orderId);
    expect(out[0]!.payload.data).toEqual({
      orderId: d.orderId,
      jobId: d.jobId,
      chatId: d.chatId,
      reason: 'Forbidden: bot was blocked by the user',
    });
  });

  it.each([
    ['chat not found', { type: 'api', errorCode: 400, description: 'Bad Request: chat not found' }, 'chat not found'],
    ['an expired result URL', { type: 'download', status: 404, message: 'HTTP 404' }, 'download failed with 404'],
    ['a video over 50 MB', { type: 'too_large', sizeBytes: 60 * 1024 * 1024 }, 'exceeds the 50 MB'],
    ['a request Telegram refuses', { type: 'api', errorCode: 400, description: 'Bad Request: caption is too long' }, 'caption is too long'],
    ['an upload Telegram refuses', { type: 'api', errorCode: 413, description: 'Request Entity Too Large' }, 'Too Large'],
  ] as Array<[string, SendFailure, string]>)('%s: undeliverable, reported to the orchestrator, acked', async (_, failure, snippet) => {
    const d = data('jobs.video.ready.v1');
    tg.failures.set(d.chatId, [failure]);
    const e = event('jobs.video.ready.v1', d);
    await expect(run('jobs.video.ready.v1', e)).resolves.toBeUndefined();
    await run('jobs.video.ready.v1', e);
    expect(tg.to(d.chatId)).toHaveLength(0);
    expect(await row(`job:${d.jobId}:video`)).toMatchObject({ status: 'undeliverable' });
    const out = await outboxUndeliverable(d.jobId);
    expect(out).toHaveLength(1);
    expect(out[0]!.payload.data.reason).toContain(snippet);
    expect(await outboxSent(d.jobId)).toHaveLength(0);
  });

  it('a revoked bot token (401) is not the video\'s fault: parked, no undeliverable report', async () => {
    const d = data('jobs.video.ready.v1');
    tg.failures.set(d.chatId, [{ type: 'api', errorCode: 401, description: 'Unauthorized' }]);
    await expect(run('jobs.video.ready.v1', event('jobs.video.ready.v1', d))).rejects.toBeInstanceOf(PermanentError);
    expect(await outboxUndeliverable(d.jobId)).toHaveLength(0);
    expect(await row(`job:${d.jobId}:video`)).toMatchObject({ status: 'sending' });
  });

  it('records undeliverable and its report in one transaction: a failing report leaves the row open', async () => {
    const d = data('jobs.video.ready.v1');
    tg.failures.set(d.chatId, [{ type: 'api', errorCode: 403, description: 'Forbidden: bot was blocked by the user' }]);
    const deliver = newDeliverer();
    const req = request('evt-' + d.jobId, { kind: 'video', key: `job:${d.jobId}:video`, purpose: 'video', chatId: d.chatId, videoUrl: d.videoUrl, caption: 'x' }, log, {
      onUndeliverable: async (tx) => {
        await tx`insert into outbox (id, subject, payload) values (${deterministicId('probe', d.jobId)}, 'probe', '{}'::jsonb)`;
        throw new Error('outbox write failed');
      },
    });
    await expect(deliver(req)).rejects.toThrow('outbox write failed');
    expect(await row(`job:${d.jobId}:video`)).toMatchObject({ status: 'sending' });
    expect(await sql`select 1 from outbox where id = ${deterministicId('probe', d.jobId)}`).toHaveLength(0);
  });

  it('a long 429: TransientError with retry_after, claim released, the chat stays paused', async () => {
    const d = data('jobs.video.ready.v1');
    tg.failures.set(d.chatId, [{ type: 'api', errorCode: 429, description: 'Too Many Requests', retryAfterSec: 35 }]);
    const e = event('jobs.video.ready.v1', d);
    const err = await run('jobs.video.ready.v1', e).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBe(35_000);
    expect(await row(`job:${d.jobId}:video`)).toMatchObject({ status: 'sending', claimed_until: null });
    // A redelivery that came early is given back again instead of waiting 35 s in-process.
    await expect(run('jobs.video.ready.v1', e)).rejects.toBeInstanceOf(TransientError);
    expect(tg.to(d.chatId)).toHaveLength(0);
    expect(await outboxSent(d.jobId)).toHaveLength(0);
  });

  it('a network error: TransientError, then sent once on the next delivery', async () => {
    const d = data('jobs.video.ready.v1');
    tg.failures.set(d.chatId, [{ type: 'network', message: 'ECONNRESET' }]);
    const e = event('jobs.video.ready.v1', d);
    await expect(run('jobs.video.ready.v1', e)).rejects.toBeInstanceOf(TransientError);
    await run('jobs.video.ready.v1', e);
    expect(tg.to(d.chatId)).toHaveLength(1);
    expect(await outboxSent(d.jobId)).toHaveLength(1);
    expect((await row(`job:${d.jobId}:video`))!.attempts).toBe(2);
  });

  it('a text Telegram rejects is parked (PermanentError), not retried forever', async () => {
    const d = data('billing.credits.reserved.v1');
    tg.failures.set(d.chatId, [{ type: 'api', errorCode: 400, description: 'Bad Request: message is too long' }]);
    await expect(run('billing.credits.reserved.v1', event('billing.credits.reserved.v1', d))).rejects.toBeInstanceOf(PermanentError);
    expect(await row(`order:${d.orderId}:taken`)).toMatchObject({ status: 'sending' });
  });

  it('a message another worker is sending right now is left to it', async () => {
    const d = data('jobs.video.ready.v1');
    const claim = await createDeliveryLog(sql).claim({ key: `job:${d.jobId}:video`, eventId: 'x', purpose: 'video', chatId: d.chatId, holder: 'other' });
    expect(claim.state).toBe('claimed');
    await expect(run('jobs.video.ready.v1', event('jobs.video.ready.v1', d))).rejects.toBeInstanceOf(TransientError);
    expect(tg.to(d.chatId)).toHaveLength(0);
  });

  it('a claim whose lease ran out (crashed worker) is taken over', async () => {
    const d = data('jobs.video.ready.v1');
    await createDeliveryLog(sql, 1).claim({ key: `job:${d.jobId}:video`, eventId: 'x', purpose: 'video', chatId: d.chatId, holder: 'crashed' });
    await sql`update deliveries set claimed_until = now() - interval '1 second' where message_key = ${`job:${d.jobId}:video`}`;
    await run('jobs.video.ready.v1', event('jobs.video.ready.v1', d));
    expect(tg.to(d.chatId)).toHaveLength(1);
  });
});

describe('a crashed attempt (a "sending" row nobody renews)', () => {
  /**
   * What a process killed between claim and record leaves: its heartbeat stopped; it had
   * called Telegram (`sendStarted`) or was still waiting for its turn.
   */
  const crashedRow = async (key: string, purpose: string, chatId: number, createdAgo: string, sendStarted: boolean) => {
    await createDeliveryLog(sql).claim({ key, eventId: 'x', purpose, chatId, holder: 'crashed' });
    if (sendStarted) await createDeliveryLog(sql).markSendStarted(key, 'crashed');
    await sql`update deliveries set claimed_until = now() - interval '1 second', created_at = now() - ${createdAgo}::interval
              where message_key = ${key}`;
  };

  it('holds the message only for a short lease, not minutes', async () => {
    const d = data('jobs.video.ready.v1');
    await createDeliveryLog(sql).claim({ key: `job:${d.jobId}:video`, eventId: 'x', purpose: 'video', chatId: d.chatId, holder: 'crashed' });
    const err = await run('jobs.video.ready.v1', event('jobs.video.ready.v1', d)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).retryAfterMs).toBeLessThanOrEqual(15_000);
    const [lease] = await sql<{ s: number }[]>`
      select extract(epoch from claimed_until - now())::float8 as s from deliveries where message_key = ${`job:${d.jobId}:video`}`;
    expect(lease!.s).toBeLessThanOrEqual(15);
  });

  it.each([true, false])('a video is sent again and recorded with its sent event, once (send started: %s)', async (started) => {
    const d = data('jobs.video.ready.v1');
    await crashedRow(`job:${d.jobId}:video`, 'video', d.chatId, '5 minutes', started);
    const e = event('jobs.video.ready.v1', d);
    await run('jobs.video.ready.v1', e);
    await run('jobs.video.ready.v1', e);
    expect(tg.to(d.chatId)).toHaveLength(1);
    expect(await row(`job:${d.jobId}:video`)).toMatchObject({ status: 'sent' });
    expect(await outboxSent(d.jobId)).toHaveLength(1);
  });

  it.each(['10 seconds', '2 minutes'])(
    'a status message whose sending had started (%s ago) is marked sent without sending it again',
    async (ago) => {
      const d = data('billing.credits.reserved.v1');
      await crashedRow(`order:${d.orderId}:taken`, 'order-taken', d.chatId, ago, true);
      await run('billing.credits.reserved.v1', event('billing.credits.reserved.v1', d));
      expect(tg.to(d.chatId)).toHaveLength(0);
      expect(await row(`order:${d.orderId}:taken`)).toMatchObject({ status: 'sent', sent_via: 'assumed' });
    },
  );

  it('a status message whose attempt died before calling Telegram is sent, once', async () => {
    const d = data('billing.credits.reserved.v1');
    await crashedRow(`order:${d.orderId}:taken`, 'order-taken', d.chatId, '10 seconds', false);
    const e = event('billing.credits.reserved.v1', d);
    await run('billing.credits.reserved.v1', e);
    await run('billing.credits.reserved.v1', e);
    expect(tg.to(d.chatId)).toHaveLength(1);
  });
});

describe('video failed as undeliverable', () => {
  it('tries one short text in the user\'s language, and nothing more if the chat is gone', async () => {
    const d = data('jobs.video.failed.v1', { reason: 'undeliverable', locale: 'en', index: 2, count: 3 });
    await run('jobs.video.failed.v1', event('jobs.video.failed.v1', d));
    expect(tg.to(d.chatId).map((s) => s.text)).toEqual([
      '❌ Video 2 of 3: we could not deliver it to this chat; the credit is back on your balance.',
    ]);

    const gone = data('jobs.video.failed.v1', { reason: 'undeliverable' });
    tg.failures.set(gone.chatId, [{ type: 'api', errorCode: 403, description: 'Forbidden: bot was blocked by the user' }]);
    const e = event('jobs.video.failed.v1', gone);
    await expect(run('jobs.video.failed.v1', e)).resolves.toBeUndefined();
    await run('jobs.video.failed.v1', e);
    expect(tg.to(gone.chatId)).toHaveLength(0);
    expect(await row(`job:${gone.jobId}:failed`)).toMatchObject({ status: 'undeliverable' });
    // Only videos report to the orchestrator.
    expect(await outboxUndeliverable(gone.jobId)).toHaveLength(0);
  });
});

describe('order completed', () => {
  it('a redelivery of a sent summary sends nothing', async () => {
    const d = data('jobs.order.completed.v1', { count: 3, delivered: 2, failed: 1 });
    const e = event('jobs.order.completed.v1', d);
    await run('jobs.order.completed.v1', e);
    await run('jobs.order.completed.v1', e);
    expect(tg.to(d.chatId)).toHaveLength(1);
    expect(tg.to(d.chatId)[0]!.text).toContain('Доставлено видео: 2 из 3');
  });

  it('one video of 3 failed: the summary comes after the failure and shows the balance after the refund', async () => {
    realOrderMessages = true;
    const d = data('jobs.order.completed.v1', { count: 3, delivered: 2, failed: 1 });
    const job = (i: number) => ({ orderId: d.orderId, chatId: d.chatId, userId: d.userId, locale: d.locale, jobId: `${d.orderId}:${i}`, index: i + 1, count: 3 as const });
    await run('jobs.video.ready.v1', event('jobs.video.ready.v1', { ...job(0), videoUrl: 'https://tempfile.example/1.mp4' }));
    await run('jobs.video.ready.v1', event('jobs.video.ready.v1', { ...job(2), videoUrl: 'https://tempfile.example/3.mp4' }));
    // The orchestrator's completion overtakes the failure message and billing's refund.
    settled = false;
    balance = 4;
    const completed = event('jobs.order.completed.v1', d);
    await expect(run('jobs.order.completed.v1', completed, 1)).rejects.toBeInstanceOf(TransientError);
    await run('jobs.video.failed.v1', event('jobs.video.failed.v1', { ...job(1), reason: 'exhausted' }));
    await expect(run('jobs.order.completed.v1', completed, 2)).rejects.toBeInstanceOf(TransientError);
    // Billing refunds the failed video: 4 + 1.
    settled = true;
    balance = 5;
    await run('jobs.order.completed.v1', completed, 3);
    const chat = tg.to(d.chatId);
    expect(chat.map((m) => (m.videoUrl ? 'video' : m.text!.split('\n')[0]))).toEqual([
      'video',
      'video',
      expect.stringContaining('Видео 2 из 3'),
      expect.stringContaining('Заказ №'),
    ]);
    expect(chat[3]!.text).toContain('Баланс: 5');
  });

  it('goes as things stand once it has waited its turn', async () => {
    settled = false;
    const d = data('jobs.order.completed.v1');
    await run('jobs.order.completed.v1', event('jobs.order.completed.v1', d), SUMMARY_MAX_WAITS);
    expect(tg.to(d.chatId)[0]!.text).toContain('Баланс: 17');
  });

  it('goes without the balance when billing does not answer', async () => {
    balance = null;
    const d = data('jobs.order.completed.v1', { locale: 'en' });
    await run('jobs.order.completed.v1', event('jobs.order.completed.v1', d), SUMMARY_MAX_WAITS);
    const [msg] = tg.to(d.chatId);
    expect(msg!.text).toContain('is complete');
    expect(msg!.text).not.toContain('Balance');
  });
});

describe('key blocked', () => {
  it('alerts every admin; one who blocked the bot does not stop the others or cause retries', async () => {
    tg.failures.set(ADMINS[0]!, [{ type: 'api', errorCode: 403, description: 'Forbidden: bot was blocked by the user' }]);
    const e = event('kie.key.blocked.v1', { ...validFixtures['kie.key.blocked.v1'], keyName: `k-${Date.now()}` });
    await run('kie.key.blocked.v1', e);
    await run('kie.key.blocked.v1', e);
    expect(tg.to(ADMINS[0]!)).toHaveLength(0);
    expect(tg.to(ADMINS[1]!)).toHaveLength(1);
    expect(tg.to(ADMINS[1]!)[0]!.text).toContain('ВСЕ KIE-КЛЮЧИ ЗАБЛОКИРОВАНЫ');
  });
});

describe('model unavailable', () => {
  it('alerts every admin once per (model, account), even under a new event id', async () => {
    const d = { ...validFixtures['kie.model.unavailable.v1'], model: `m-${Date.now()}`, account: 'main' };
    const e = event('kie.model.unavailable.v1', d);
    await run('kie.model.unavailable.v1', e);
    await run('kie.model.unavailable.v1', e);
    await run('kie.model.unavailable.v1', event('kie.model.unavailable.v1', d));
    for (const admin of ADMINS) {
      expect(tg.to(admin)).toHaveLength(1);
      expect(tg.to(admin)[0]!.text).toContain(`«${d.model}»`);
      expect(tg.to(admin)[0]!.text).toContain(`/model on ${d.model}`);
    }
    // Another account is another fact.
    await run('kie.model.unavailable.v1', event('kie.model.unavailable.v1', { ...d, account: 'spare', stillOffered: true }));
    expect(tg.to(ADMINS[0]!)).toHaveLength(2);
  });
});

describe('KIE credits', () => {
  it('low, then recovered: one alert each per admin, none on redelivery', async () => {
    const account = `acc-${Date.now()}`;
    const low = event('kie.credits.low.v1', { account, credits: 120.5, threshold: 500 });
    await run('kie.credits.low.v1', low);
    await run('kie.credits.low.v1', low);
    const up = event('kie.credits.recovered.v1', { account, credits: 2000, threshold: 500 });
    await run('kie.credits.recovered.v1', up);
    await run('kie.credits.recovered.v1', up);
    for (const admin of ADMINS) {
      expect(tg.to(admin).map((s) => s.text)).toEqual([
        expect.stringContaining('мало кредитов: 120.5'),
        expect.stringContaining('восстановлен: 2000'),
      ]);
    }
  });

  it("each admin reads the alert in the language the admin chose (Russian if none); an older choice redelivered late changes nothing", async () => {
    const [english, russian, silent] = [9101, 9102, 9103];
    const mine = createHandlers({
      deliver: newDeliverer(),
      status: newStatus(newDeliverer()),
      settlement: async () => null,
      orderMessages: async () => ({ videosSent: 0, failuresDone: 0 }),
      supportContact: '',
      adminIds: [english, russian, silent],
      chatLocales: createChatLocales(sql),
    });
    const choose = async (chatId: number, locale: 'ru' | 'en', setAt: string) => {
      const e = event('users.language.set.v1', { userId: chatId, chatId, locale, setAt });
      // Twice: a redelivery changes nothing.
      for (let i = 0; i < 2; i++)
        await mine['users.language.set.v1'](e as never, { durable: 'notifier-language-set', log, working: () => undefined, deliveryCount: 1 });
    };
    await choose(english, 'en', '2026-12-01T10:00:00.000Z');
    await choose(russian, 'en', '2026-12-01T10:00:00.000Z');
    await choose(russian, 'ru', '2026-12-01T11:00:00.000Z');
    // The first choice of the second admin arrives again, late: the later one stands.
    await choose(russian, 'en', '2026-12-01T10:00:00.000Z');

    const e = event('kie.credits.low.v1', { account: `acc-${Date.now()}`, credits: 120.5, threshold: 500 });
    await mine['kie.credits.low.v1'](e as never, { durable: 'notifier-credits-low', log, working: () => undefined, deliveryCount: 1 });
    expect(tg.to(english).map((s) => s.text)).toEqual([expect.stringContaining('is low on credits: 120.5')]);
    expect(tg.to(russian).map((s) => s.text)).toEqual([expect.stringContaining('мало кредитов: 120.5')]);
    expect(tg.to(silent).map((s) => s.text)).toEqual([expect.stringContaining('мало кредитов: 120.5')]);
  });

  it('without admins nothing is sent and nothing fails', async () => {
    const quiet = createHandlers({
      deliver: newDeliverer(),
      status: newStatus(newDeliverer()),
      settlement: async () => null,
      orderMessages: async () => ({ videosSent: 0, failuresDone: 0 }),
      supportContact: '',
      adminIds: [],
      chatLocales: createChatLocales(sql),
    });
    const e = event('kie.credits.low.v1', { account: 'x', credits: 1, threshold: 5 });
    await quiet['kie.credits.low.v1'](e as never, { durable: 'notifier-credits-low', log, working: () => undefined, deliveryCount: 1 });
    expect(tg.sent).toEqual([]);
  });
});
