import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transaction } from '@neurocards/platform';
import { claimForSubmit, getTask, markCreateSent, markRunning } from '../adapters/tasks-repo';
import {
  ctx,
  manualClock,
  outboxFor,
  setupInfra,
  submitCommand,
  successBody,
  testConfig,
} from '../../test/testing';
import { webhookSignature } from './callback';

let env: Awaited<ReturnType<typeof setupInfra>>;
const clock = manualClock();
const HMAC = 'test-hmac-key';

beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

function build(hmacKey?: string) {
  const d = env.dispatcher({ config: testConfig({ KIE_WEBHOOK_HMAC_KEY: hmacKey }), clock: clock.now });
  const app = Fastify();
  d.registerRoutes(app);
  return { d, app };
}

/** A job whose attempt 1 runs at KIE as `taskId`, reachable through `token`. */
async function runningJob(taskId: string, token: string, over: Parameters<typeof submitCommand>[0] = {}) {
  const { d } = build();
  const cmd = submitCommand(over);
  await d.handlers['kie.task.submit.v1'](cmd, ctx('kie.task.submit.v1', { log: env.log }));
  // Claim exactly this job: later rows of other tests stay queued.
  let mine = false;
  while (!mine) {
    const rows = await claimForSubmit(env.sql, { now: new Date(clock.now()), limit: 100, leaseMs: 60_000 });
    mine = rows.some((r) => r.jobId === cmd.data.jobId);
    if (rows.length === 0) throw new Error('job not claimable');
  }
  const now = new Date(clock.now());
  await markCreateSent(env.sql, {
    jobId: cmd.data.jobId,
    attempt: 1,
    keyName: 'k1',
    token,
    now,
    deadlineAt: new Date(clock.now() + 1_800_000),
  });
  await transaction(env.sql, (tx) =>
    markRunning(tx, {
      jobId: cmd.data.jobId,
      attempt: 1,
      token,
      taskId,
      now,
      nextPollAt: new Date(clock.now() + 3_600_000),
    }),
  );
  return cmd;
}

const failBody = (taskId: string, failMsg: string) => ({
  code: 501,
  msg: failMsg,
  data: { taskId, state: 'fail', resultJson: '', failCode: '400', failMsg },
});

/** A Veo callback (https://docs.kie.ai/veo3-api/generate-veo-3-video-callbacks). */
const veoBody = (taskId: string, code = 200, msg = 'Veo3.1 video generated successfully.') => ({
  code,
  msg,
  data: {
    taskId,
    promptJson: '{"model":"veo3_fast"}',
    info:
      code === 200
        ? { resultUrls: ['https://cdn.example/veo.mp4'], originUrls: [], resolution: '720p' }
        : null,
    fallbackFlag: false,
  },
});

describe('POST /kie/callback/:token for a Veo task', () => {
  it('verifies the signature over data.taskId and reads the Veo shape', async () => {
    const { app } = build(HMAC);
    const cmd = await runningJob('veo-ok', 'tok-veo-ok', { model: 'veo3_fast' });
    const ts = '1764536400';
    const unsigned = await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-veo-ok',
      payload: veoBody('veo-ok'),
    });
    expect(unsigned.statusCode).toBe(401);
    const forged = await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-veo-ok',
      headers: { 'x-webhook-timestamp': ts, 'x-webhook-signature': webhookSignature('other', ts, HMAC) },
      payload: veoBody('veo-ok'),
    });
    expect(forged.statusCode).toBe(401);
    const ok = await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-veo-ok',
      headers: { 'x-webhook-timestamp': ts, 'x-webhook-signature': webhookSignature('veo-ok', ts, HMAC) },
      payload: veoBody('veo-ok'),
    });
    expect(ok.statusCode).toBe(200);
    const events = await outboxFor(env.sql, cmd.data.orderId);
    expect(events.find((e) => e.type === 'kie.task.succeeded.v1')?.data).toMatchObject({
      videoUrls: ['https://cdn.example/veo.mp4'],
    });
  });

  it('a Veo content refusal (code 400) ends the job with user_violation', async () => {
    const { app } = build();
    const cmd = await runningJob('veo-no', 'tok-veo-no', { model: 'veo3_fast' });
    const res = await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-veo-no',
      payload: veoBody('veo-no', 400, 'Your prompt was flagged by Website as violating content policies'),
    });
    expect(res.statusCode).toBe(200);
    const failed = (await outboxFor(env.sql, cmd.data.orderId)).find((e) => e.type === 'kie.task.failed.v1');
    expect(failed?.data).toMatchObject({ reason: 'user_violation', lastErrorClass: 'user_violation' });
  });
});

describe('POST /kie/callback/:token', () => {
  it('answers 404 for an unknown token', async () => {
    const { app } = build();
    const res = await app.inject({ method: 'POST', url: '/kie/callback/nope', payload: successBody('t') });
    expect(res.statusCode).toBe(404);
  });

  it('turns a success into one succeeded event, however often it is delivered', async () => {
    const { app } = build();
    const cmd = await runningJob('task-ok', 'tok-ok');
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/kie/callback/tok-ok',
        payload: successBody('task-ok'),
      });
      expect(res.statusCode).toBe(200);
    }
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({
      state: 'succeeded',
      outcome: 'succeeded',
    });
    const events = await outboxFor(env.sql, cmd.data.orderId);
    expect(events.map((e) => e.type)).toEqual(['kie.task.succeeded.v1']);
    expect(events[0]!.data).toMatchObject({
      jobId: cmd.data.jobId,
      attempt: 1,
      taskId: 'task-ok',
      videoUrls: ['https://cdn.example/v.mp4'],
    });
    expect(events[0]!.causationId).toBe(cmd.id);
  });

  it('ends a content refusal with user_violation and never retries it', async () => {
    const { app } = build();
    const cmd = await runningJob('task-bad', 'tok-bad');
    const body = failBody(
      'task-bad',
      'Your prompt or image was flagged as violating content policies (moderation).',
    );
    await app.inject({ method: 'POST', url: '/kie/callback/tok-bad', payload: body });
    await app.inject({ method: 'POST', url: '/kie/callback/tok-bad', payload: body });
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({
      state: 'failed',
      outcome: 'user_violation',
      lastErrorClass: 'user_violation',
    });
    const events = await outboxFor(env.sql, cmd.data.orderId);
    expect(events.map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([
      ['kie.task.failed.v1', 'user_violation'],
    ]);
  });

  it('retries a task that failed without a content reason, after a back-off', async () => {
    const { app } = build();
    const cmd = await runningJob('task-flaky', 'tok-flaky');
    await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-flaky',
      payload: failBody('task-flaky', 'Internal error during generation'),
    });
    const row = await getTask(env.sql, cmd.data.jobId);
    expect(row).toMatchObject({
      state: 'queued',
      attempt: 2,
      lastErrorClass: 'transient',
      taskId: null,
      callbackToken: null,
    });
    expect(row!.notBefore.getTime()).toBe(clock.now() + 10_000);
    expect(await outboxFor(env.sql, cmd.data.orderId)).toEqual([]);
    // The old attempt's callback again: known token, stale attempt, nothing changes.
    const res = await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-flaky',
      payload: failBody('task-flaky', 'Internal error'),
    });
    expect(res.statusCode).toBe(200);
    expect((await getTask(env.sql, cmd.data.jobId))?.attempt).toBe(2);
  });

  it('checks the signature when a key is set', async () => {
    const { app } = build(HMAC);
    const cmd = await runningJob('task-signed', 'tok-signed');
    const ts = String(Math.floor(Date.now() / 1000));
    const url = '/kie/callback/tok-signed';
    const payload = successBody('task-signed');
    expect((await app.inject({ method: 'POST', url, payload })).statusCode).toBe(401);
    const forged = {
      'x-webhook-timestamp': ts,
      'x-webhook-signature': webhookSignature('task-signed', ts, 'wrong-key'),
    };
    expect((await app.inject({ method: 'POST', url, payload, headers: forged })).statusCode).toBe(401);
    expect((await getTask(env.sql, cmd.data.jobId))?.state).toBe('running');
    const good = {
      'x-webhook-timestamp': ts,
      'x-webhook-signature': webhookSignature('task-signed', ts, HMAC),
    };
    expect((await app.inject({ method: 'POST', url, payload, headers: good })).statusCode).toBe(200);
    expect((await getTask(env.sql, cmd.data.jobId))?.state).toBe('succeeded');
  });

  it('refuses a record of another task than the token’s', async () => {
    const { app } = build();
    const cmd = await runningJob('task-mine', 'tok-mine');
    const res = await app.inject({
      method: 'POST',
      url: '/kie/callback/tok-mine',
      payload: successBody('task-other'),
    });
    expect(res.statusCode).toBe(400);
    expect((await getTask(env.sql, cmd.data.jobId))?.state).toBe('running');
  });
});

describe('deadline', () => {
  it('counts an overdue attempt as transient, and ends the last one expired', async () => {
    const { d } = build();
    const cmd = await runningJob('task-slow', 'tok-slow');
    await env.sql`update tasks set attempt = 3 where job_id = ${cmd.data.jobId}`;
    await env.sql`update attempts set attempt = 3 where callback_token = 'tok-slow'`;
    clock.advance(30 * 60_000 + 1);
    await d.poller.tick();
    expect(await getTask(env.sql, cmd.data.jobId)).toMatchObject({
      state: 'failed',
      outcome: 'expired',
      lastErrorClass: 'transient',
    });
    const events = await outboxFor(env.sql, cmd.data.orderId);
    expect(events.map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([
      ['kie.task.failed.v1', 'expired'],
    ]);
  });
});
