import { randomUUID } from 'node:crypto';
import { consumers, createEvent, type Envelope, type EventData, type SubjectOf } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import { openKv, openObjectStore, type HandlerContext, type KV, type Sql } from '@neurocards/platform';
import { connectTestNats, createTestSchema, handlerContext, uniqueName } from '@neurocards/platform/testing';
import { migrations, SCHEMA } from '../src/adapters/migrations';
import { createDispatcher, type DispatcherConfig, type DispatcherDeps } from '../src/dispatcher';

/** Test-only: a fresh database with the `kie` schema, real NATS KV/object store, unique names. */
export async function setupInfra() {
  const db = await createTestSchema(SCHEMA, migrations, { poolSize: 20 });
  const { sql, log } = db;
  const nc = await connectTestNats();
  const kv = await openKv(nc as never, 'kie_keys', 1);
  const modelsKv = await openKv(nc as never, 'kie_models', 1);
  const photos = await openObjectStore(nc as never, 'photos', 1);
  // KV keys of this run only, so parallel test files never share a key's window.
  const keyPrefix = `${uniqueName('t')}.`;
  const photoKeys: string[] = [];
  return {
    sql,
    log,
    nc,
    kv,
    modelsKv,
    photos,
    keyPrefix,
    /** A dispatcher on this infrastructure; `config` defaults to testConfig(). */
    dispatcher(deps: Partial<DispatcherDeps> = {}) {
      return createDispatcher({
        sql,
        kv,
        modelsKv,
        photosBucket: photos,
        log,
        keyPrefix,
        config: testConfig(),
        ...deps,
      });
    },
    async putPhoto(bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])): Promise<string> {
      const name = uniqueName('photo');
      await photos.putBlob({ name }, bytes);
      photoKeys.push(name);
      return name;
    },
    async close() {
      await purgePrefix(kv, keyPrefix);
      await purgePrefix(modelsKv, keyPrefix);
      for (const name of photoKeys) await photos.delete(name).catch(() => undefined);
      await nc.close();
      await db.close();
    },
  };
}

async function purgePrefix(kv: KV, prefix: string) {
  const keys = await kv.keys(`${prefix}>`);
  for await (const k of keys) await kv.purge(k);
}

/** The context the consumer of `subject` hands its handler (its durable from the topology). */
export function ctx(
  subject: SubjectOf<'kie-dispatcher'> = 'kie.task.submit.v1',
  over: Partial<Omit<HandlerContext, 'durable'>> = {},
): HandlerContext {
  const def = consumers['kie-dispatcher'].find((c) => c.subject === subject)!;
  return handlerContext(def.durable, over);
}

export function submitCommand(
  over: Partial<EventData<'kie.task.submit.v1'>> = {},
): Envelope<EventData<'kie.task.submit.v1'>> & { type: 'kie.task.submit.v1' } {
  const orderId = over.orderId ?? randomUUID();
  return createEvent({
    subject: 'kie.task.submit.v1',
    // Kling 3.0, 5 s, unless the test says otherwise (the fixture's model is Veo).
    data: {
      ...validFixtures['kie.task.submit.v1'],
      model: 'kling-3.0/video',
      duration: 5,
      orderId,
      jobId: randomUUID(),
      ...over,
    },
    correlationId: orderId,
  }) as Envelope<EventData<'kie.task.submit.v1'>> & { type: 'kie.task.submit.v1' };
}

export function testConfig(over: Partial<DispatcherConfig> = {}): DispatcherConfig {
  return {
    KIE_BASE_URL: 'http://127.0.0.1:9',
    KIE_UPLOAD_BASE_URL: 'http://127.0.0.1:9',
    KIE_API_KEYS: [
      { name: 'k1', secret: 'sk-test-1' },
      { name: 'k2', secret: 'sk-test-2' },
    ],
    // A Market model: the flow tests' request shapes are Kling 3.0's.
    models: ['kling-3.0/video', 'veo3_fast'],
    prices: { 'kling-3.0/video': 1, veo3_fast: 1 },
    KIE_CREDIT_ALERT: undefined,
    KIE_CREDIT_CHECK_INTERVAL: 5 * 60_000,
    KIE_KEY_CAP_COOLDOWN: 3600_000,
    KIE_WEBHOOK_HMAC_KEY: undefined,
    KIE_SUBMIT_RATE: { limit: 20, windowMs: 10_000 },
    KIE_MAX_IN_FLIGHT: 100,
    KIE_BILLING_FAILOVER: false,
    GENERATION_DEADLINE: 30 * 60_000,
    QUEUE_STALL_ALERT: 5 * 60_000,
    callbackBaseUrl: 'http://127.0.0.1:9',
    ...over,
  };
}

/** Events written to the outbox for one order, in commit order. */
export async function outboxFor(sql: Sql, correlationId: string): Promise<Envelope[]> {
  const rows = await sql<{ payload: Envelope }[]>`
    select payload from outbox where payload->>'correlationId' = ${correlationId} order by seq`;
  return rows.map((r) => r.payload);
}

/** A clock tests move by hand (back-offs of a minute run in no time). */
export function manualClock(start = Date.now()) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (t: number) => void (now = t) };
}

/**
 * Test-only: a job whose attempt 1 already runs at KIE as `taskId` on `keyName`, reachable
 * through callback `token`, with its first poll due at `nextPollAt`.
 */
export async function insertRunning(
  sql: Sql,
  o: {
    keyName: string;
    taskId: string;
    token: string;
    now: number;
    nextPollAt?: number;
    deadlineMs?: number;
    /** Default Kling 3.0 (a Market task). */
    model?: string;
  },
): Promise<ReturnType<typeof submitCommand>> {
  const cmd = submitCommand();
  const at = new Date(o.now);
  await sql`
    insert into tasks (job_id, order_id, submit_event_id, prompt, photo, aspect_ratio, model, duration, state, attempt,
                       not_before, key_name, task_id, callback_token, create_sent_at, submitted_at, deadline_at, next_poll_at,
                       seller, queued_at)
    values (${cmd.data.jobId}, ${cmd.data.orderId}, ${cmd.id}, ${cmd.data.prompt}, ${sql.json(cmd.data.photo as never)},
            ${cmd.data.aspectRatio}, ${o.model ?? 'kling-3.0/video'}, ${o.model === 'veo3_fast' ? 8 : 5}, 'running', 1, ${at},
            ${o.keyName}, ${o.taskId}, ${o.token},
            ${at}, ${at}, ${new Date(o.now + (o.deadlineMs ?? 30 * 60_000))}, ${new Date(o.nextPollAt ?? o.now)},
            ${String(cmd.data.seller ?? cmd.data.orderId)}, ${at})`;
  await sql`
    insert into attempts (callback_token, job_id, attempt, key_name, task_id)
    values (${o.token}, ${cmd.data.jobId}, 1, ${o.keyName}, ${o.taskId})`;
  return cmd;
}

/** A KIE callback / recordInfo body of a finished task (the shape both carry). */
export const successBody = (taskId: string) => ({
  code: 200,
  msg: 'Playground task completed successfully.',
  data: {
    taskId,
    state: 'success',
    resultJson: JSON.stringify({ resultUrls: ['https://cdn.example/v.mp4'] }),
    failCode: '',
    failMsg: '',
  },
});
