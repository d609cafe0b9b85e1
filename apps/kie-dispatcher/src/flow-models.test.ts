import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_OFFER_KEY, modelOffer, type Envelope } from '@neurocards/contracts';
import { eventually } from '@neurocards/platform/testing';
import { Registry } from 'prom-client';
import { getTask } from './adapters/tasks-repo';
import { outcome, startWorld, type World } from '../test/flow-world';
import { submitCommand } from '../test/testing';

let world: World | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});
const start = async (opts: Parameters<typeof startWorld>[0] = {}) => (world = await startWorld(opts));

const bySubject = async (w: World, subject: string): Promise<Envelope[]> =>
  (
    await w.env.sql<
      { payload: Envelope }[]
    >`select payload from outbox where subject = ${subject} order by seq`
  ).map((r) => r.payload);

/** Two accounts: acctA with two keys, acctB with one. */
const ACCOUNT_KEYS = [
  { name: 'a1', secret: 'sk-a1', account: 'acctA' },
  { name: 'a2', secret: 'sk-a2', account: 'acctA' },
  { name: 'b1', secret: 'sk-b1', account: 'acctB' },
];

describe('models against the KIE simulator', () => {
  it('a Veo 3.1 Fast video: the Veo endpoint and body, record-info polling or its own callback shape', async () => {
    const w = await start({ sim: { lostCallbackRate: 0 } });
    const cmd = await w.submit({ model: 'veo3_fast', aspectRatio: 'portrait', duration: undefined });
    const done = await outcome(w, cmd.data.orderId);
    expect(done.type).toBe('kie.task.succeeded.v1');
    const [task] = w.sim.tasks();
    expect(task).toMatchObject({ family: 'veo', model: 'veo3_fast' });
    // https://docs.kie.ai/veo3-api/generate-veo-3-video
    expect(task!.input).toEqual({
      model: 'veo3_fast',
      prompt: cmd.data.prompt,
      imageUrls: [w.sim.uploads()[0]!.downloadUrl],
      generationType: 'FIRST_AND_LAST_FRAMES_2_VIDEO',
      aspect_ratio: '9:16',
      enableTranslation: true,
      callBackUrl: task!.callBackUrl,
    });
    // The Veo callback (signed) was accepted.
    await eventually(() => w.sim.callbacks().some((c) => c.status === 200));
    expect(await getTask(w.env.sql, cmd.data.jobId)).toMatchObject({
      model: 'veo3_fast',
      duration: 8,
      state: 'succeeded',
    });
  });

  it('a Veo video whose callbacks are lost is read from record-info', async () => {
    const w = await start({ sim: { lostCallbackRate: 1, recordNullMs: 500 } });
    const cmd = await w.submit({ model: 'veo3_fast', aspectRatio: 'landscape' });
    expect((await outcome(w, cmd.data.orderId)).type).toBe('kie.task.succeeded.v1');
    expect(Object.values(w.sim.requestCounts()).reduce((n, c) => n + c.recordInfo, 0)).toBeGreaterThan(0);
  });

  it('a withdrawn model: its videos fail with config, one alert, the offer drops it, other models go on', async () => {
    const w = await start({
      keys: [ACCOUNT_KEYS[0]!, ACCOUNT_KEYS[1]!],
      simOptions: { withdrawn: ['veo3_fast'] },
      loops: false,
    });
    await w.d.publishOffer();
    const orderId = submitCommand().data.orderId;
    const veo = [];
    for (let i = 0; i < 4; i++) veo.push(await w.submit({ orderId, model: 'veo3_fast' }));
    const kling = await w.submit({ model: 'kling-3.0/video' });
    w.d.startLoops();
    const failed = await Promise.all(veo.map((c) => outcome(w, orderId, c.data.jobId)));
    for (const e of failed) {
      expect(e.type).toBe('kie.task.failed.v1');
      // Never the seller's fault: `config`, not `user_violation`.
      expect(e.data).toMatchObject({ reason: 'config', lastErrorClass: 'config' });
    }
    expect((await outcome(w, kling.data.orderId)).type).toBe('kie.task.succeeded.v1');
    const alerts = await bySubject(w, 'kie.model.unavailable.v1');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.data).toMatchObject({
      model: 'veo3_fast',
      account: 'acctA',
      code: 422,
      stillOffered: false,
    });
    const offer = modelOffer.parse(
      (await w.env.modelsKv.get(`${w.env.keyPrefix}${MODEL_OFFER_KEY}`))!.json(),
    );
    expect(offer.models.map((m) => m.id)).toEqual(['kling-3.0/video']);
    const stats = await w.d.stats();
    expect(stats.models.find((m) => m.id === 'veo3_fast')).toMatchObject({
      offered: false,
      disabledBy: 'kie',
      unavailableOn: ['acctA'],
    });
    // An admin turns it back on (KIE restored it): offered again.
    w.sim.restoreModel('veo3_fast');
    expect(await w.d.setModel({ model: 'veo3_fast', enabled: true, adminId: 1 })).toEqual({
      model: 'veo3_fast',
      known: true,
      offered: true,
    });
    const again = await w.submit({ model: 'veo3_fast' });
    expect((await outcome(w, again.data.orderId)).type).toBe('kie.task.succeeded.v1');
  });

  it('402 blocks every key of that account; the other account takes the next video', async () => {
    const w = await start({ keys: ACCOUNT_KEYS, sim: { lostCallbackRate: 0 } });
    w.sim.setCredits('acctA', 0);
    const first = await w.submit();
    const done = await outcome(w, first.data.orderId);
    expect(done.data).toMatchObject({ reason: 'billing', code: 402 });
    const blocked = await eventually(async () => (await bySubject(w, 'kie.key.blocked.v1'))[0]);
    expect(blocked.data).toMatchObject({
      account: 'acctA',
      scope: 'account',
      code: 402,
      allKeysBlocked: false,
    });
    const stats = await w.d.stats();
    expect(stats.keys.filter((k) => k.account === 'acctA').map((k) => k.state)).toEqual([
      'blocked',
      'blocked',
    ]);
    expect(stats.keys.find((k) => k.name === 'b1')!.state).toBe('ok');
    for (let i = 0; i < 3; i++) {
      const next = await w.submit();
      expect((await outcome(w, next.data.orderId)).type).toBe('kie.task.succeeded.v1');
    }
    expect(w.creates()).toMatchObject({ b1: 3 });
    expect((w.creates().a1 ?? 0) + (w.creates().a2 ?? 0)).toBe(1);
    // Credits come back and the check sees them: the account's block is lifted.
    w.sim.setCredits('acctA', 5000);
    await w.d.credits.tick();
    const after = await w.d.stats();
    expect(after.accounts.find((a) => a.name === 'acctA')).toMatchObject({ state: 'ok', credits: 5000 });
  });

  it('433 cools that key and the video goes at once to the account’s other key, uncounted', async () => {
    const w = await start({
      keys: [ACCOUNT_KEYS[0]!, ACCOUNT_KEYS[1]!],
      simOptions: { keyCaps: { 'sk-a1': { total: 1 } } },
    });
    const cmd = await w.submit();
    const done = await outcome(w, cmd.data.orderId);
    expect(done.type).toBe('kie.task.succeeded.v1');
    expect(w.creates()).toEqual({ a1: 1, a2: 1 });
    // The seller heard nothing but the video; the capped attempt is not counted.
    expect((await w.events(cmd.data.orderId)).map((e) => e.type)).toEqual([
      'kie.task.submitted.v1',
      'kie.task.succeeded.v1',
    ]);
    expect(await getTask(w.env.sql, cmd.data.jobId)).toMatchObject({ attempt: 2, freeRetries: 1 });
    const stats = await w.d.stats();
    expect(stats.keys.find((k) => k.name === 'a1')).toMatchObject({ state: 'cooling' });
    expect(stats.keys.find((k) => k.name === 'a2')).toMatchObject({ state: 'ok' });
    // An admin lifts the cool-down by the key's name (the account's models are untouched).
    expect(await w.d.unblock({ target: 'a1', adminId: 7 })).toEqual({ known: true, unblocked: ['a1'] });
    expect(await w.d.unblock({ target: 'nobody', adminId: 7 })).toEqual({ known: false, unblocked: [] });
  });

  it('451 (KIE could not fetch the photo): the photo is uploaded again and the video retried', async () => {
    const w = await start({ sim: { lostCallbackRate: 0, unfetchableImageMarker: 'http' } });
    const cmd = await w.submit();
    await eventually(async () => (await getTask(w.env.sql, cmd.data.jobId))?.lastErrorCode === 451 || null);
    w.sim.setBehavior({ unfetchableImageMarker: '' });
    w.skip(20_000); // past the transient back-off
    const done = await outcome(w, cmd.data.orderId);
    expect(done.type).toBe('kie.task.succeeded.v1');
    expect(done.data).toMatchObject({ attempt: 2 });
    // The cached upload URL was dropped: the retry uploaded the photo again.
    expect(w.sim.uploads()).toHaveLength(2);
  });

  it('credits below KIE_CREDIT_ALERT alert once, recovery alerts once; the gauge shows the balance', async () => {
    const registry = new Registry();
    const w = await start({
      keys: [ACCOUNT_KEYS[0]!],
      config: { KIE_CREDIT_ALERT: 500 },
      deps: { creditIntervalMs: 100, registry },
    });
    w.sim.setCredits('acctA', 120);
    const low = await eventually(async () => (await bySubject(w, 'kie.credits.low.v1'))[0]);
    expect(low.data).toEqual({ account: 'acctA', credits: 120, threshold: 500 });
    const metric = await registry.getSingleMetricAsString('neurocards_kie_account_credits');
    expect(metric).toMatch(/neurocards_kie_account_credits\{account="acctA"\} 120/);
    w.sim.setCredits('acctA', 2000);
    const rec = await eventually(async () => (await bySubject(w, 'kie.credits.recovered.v1'))[0]);
    expect(rec.data).toEqual({ account: 'acctA', credits: 2000, threshold: 500 });
    // Many more checks (and a second replica's) change nothing.
    for (let i = 0; i < 5; i++) await w.d.credits.tick();
    const second = w.env.dispatcher({ config: w.d.config, kie: w.d.kie });
    await second.credits.tick();
    expect(await bySubject(w, 'kie.credits.low.v1')).toHaveLength(1);
    expect(await bySubject(w, 'kie.credits.recovered.v1')).toHaveLength(1);
    const stats = await w.d.stats();
    expect(stats.accounts[0]).toMatchObject({
      name: 'acctA',
      credits: 2000,
      budgetLimit: 20,
      maxInFlight: 100,
    });
  });
});
