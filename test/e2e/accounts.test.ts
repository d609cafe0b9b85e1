import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { adminSays, grantCredits, orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

/**
 * KIE accounts through the whole product: limits, credits and blocks belong to an account
 * and are shared by its keys; a key's own cap (433) only moves the video to a sibling key.
 */

const orderOf = (stack: Stack, userId: number) =>
  eventually(() => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e.find((o) => o.data.userId === userId)), 30_000);
const completed = (stack: Stack, orderId: string) =>
  eventually(
    () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
    120_000,
    500,
  );
const kieStats = (stack: Stack) => requestRpc(stack.nc, 'kie.keys.stats', {});

describe('two KIE accounts: credit alerts and an account out of credits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      kieLatencyMs: 1000,
      env: {
        KIE_API_KEYS: 'acctA/a1=sk-a1,acctA/a2=sk-a2,acctB/b1=sk-b1',
        KIE_CREDIT_ALERT: '500',
        KIE_CREDIT_CHECK_INTERVAL: '1s',
      },
      kie: { accounts: { acctA: ['sk-a1', 'sk-a2'], acctB: ['sk-b1'] } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const adminTexts = (re: RegExp) => stack.tg.botMessages(ADMIN_ID).filter((m) => re.test(m.text ?? ''));
  /** Waits until the dispatcher has read acctB's balance at least `n` more times. */
  const checksOfB = async (n: number) => {
    const at = async () => (await kieStats(stack)).accounts.find((a) => a.name === 'acctB')!.creditsCheckedAt;
    for (let i = 0; i < n; i++) {
      const before = await at();
      await eventually(async () => (await at()) !== before, 30_000, 200);
    }
  };

  it('a balance below KIE_CREDIT_ALERT alerts the admins once; its recovery once', async () => {
    // The admin has a chat with the bot (Telegram delivers nothing to a chat never opened).
    const keys = await adminSays(stack, ADMIN_ID, '/keys', /KIE accounts/);
    expect(keys).toMatch(/• acctB: ok; submitted 0\/20 in the window, running 0\/100;/);
    stack.kie.setCredits('acctB', 120);
    const low = /У KIE-аккаунта «acctB» мало кредитов: 120 \(порог 500\)/;
    await eventually(() => adminTexts(low).length > 0, 30_000, 200);
    // Later checks see the same low balance and say nothing more.
    await checksOfB(3);
    expect(adminTexts(low)).toHaveLength(1);
    expect((await eventsOf(stack.nc, 'kie.credits.low.v1')).filter((e) => e.data.account === 'acctB')).toHaveLength(1);

    stack.kie.setCredits('acctB', 10_000);
    const recovered = /Баланс KIE-аккаунта «acctB» восстановлен: 10000/;
    await eventually(() => adminTexts(recovered).length > 0, 30_000, 200);
    await checksOfB(3);
    expect(adminTexts(recovered)).toHaveLength(1);
    expect(adminTexts(low)).toHaveLength(1);

    // /stats shows each account's KIE credits.
    const stats = await adminSays(stack, ADMIN_ID, '/stats', /KIE credits:/);
    expect(stats).toMatch(/• acctB: KIE credits 10000 \(checked /);
    expect(stats).toMatch(/• acctA: KIE credits 10000 \(checked /);
  });

  it('402 blocks every key of that account; the seller is refunded and the other account takes the next order', async () => {
    // A fresh pool ranks keys by name at equal room: the first video goes to acctA's a1.
    stack.kie.setCredits('acctA', 0);
    const seller = { userId: 7_500_001, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 3);
    await orderVideos(stack, seller, 1);
    const order = await orderOf(stack, seller.userId);
    expect((await completed(stack, order.data.orderId)).data).toMatchObject({ delivered: 0, failed: 1 });
    const failed = (await eventsOf(stack.nc, 'jobs.video.failed.v1')).filter((e) => e.data.orderId === order.data.orderId);
    expect(failed.map((e) => e.data.reason)).toEqual(['billing']);
    await eventually(() =>
      stack.tg.botMessages(seller.userId).some((m) => /temporarily unavailable/i.test(m.text ?? '') && /@support/.test(m.text ?? '')),
    );
    // Billing refunds after the orchestrator's completion event: wait for it.
    await eventually(async () => (await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).held === 0);
    expect(await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).toMatchObject({ balance: 3, held: 0 });

    const blocked = await eventsOf(stack.nc, 'kie.key.blocked.v1');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]!.data).toMatchObject({ account: 'acctA', scope: 'account', code: 402, allKeysBlocked: false });
    const stats = await kieStats(stack);
    expect(stats.keys.map((k) => [k.name, k.state])).toEqual([
      ['a1', 'blocked'],
      ['a2', 'blocked'],
      ['b1', 'ok'],
    ]);
    await eventually(() => adminTexts(/KIE-аккаунт «acctA» заблокирован/).length === 1);

    // /keys tells the admin the same.
    const keys = await adminSays(stack, ADMIN_ID, '/keys', /KIE accounts/);
    expect(keys).toMatch(/– key a1: blocked until .+ UTC/);
    expect(keys).toMatch(/– key a2: blocked until .+ UTC/);
    expect(keys).toMatch(/– key b1: ok/);

    const next = { userId: 7_500_002, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, next.userId, 1);
    await orderVideos(stack, next, 1);
    const nextOrder = await orderOf(stack, next.userId);
    expect((await completed(stack, nextOrder.data.orderId)).data).toMatchObject({ delivered: 1, failed: 0 });
    const done = stack.kie.tasks().filter((t) => t.state === 'success');
    expect(done.map((t) => t.account)).toEqual(['acctB']);
  });
});

describe("a key's own usage cap (433)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      kieLatencyMs: 1000,
      env: { KIE_API_KEYS: 'acctA/a1=sk-a1,acctA/a2=sk-a2' },
      // a1 may spend 1 credit in total: its first task is already past the cap.
      kie: { accounts: { acctA: ['sk-a1', 'sk-a2'] }, keyCaps: { 'sk-a1': { total: 1 } } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('moves the video to the account’s other key, where it succeeds; the seller only sees the video', async () => {
    const seller = { userId: 7_500_101, languageCode: 'en' };
    await grantCredits(stack, ADMIN_ID, seller.userId, 1);
    await orderVideos(stack, seller, 1);
    const order = await orderOf(stack, seller.userId);
    expect((await completed(stack, order.data.orderId)).data).toMatchObject({ delivered: 1, failed: 0 });

    expect(stack.kie.keyStats()['sk-a1']).toMatchObject({ capped: 1 });
    expect(stack.kie.tasks().map((t) => [t.key, t.state])).toEqual([['sk-a2', 'success']]);
    expect(await eventsOf(stack.nc, 'kie.task.failed.v1')).toEqual([]);
    expect(await eventsOf(stack.nc, 'kie.key.blocked.v1')).toEqual([]);
    await eventually(() => stack.tg.botMessages(seller.userId).some((m) => m.kind === 'video'));
    expect(stack.tg.botMessages(seller.userId).filter((m) => /❌/.test(m.text ?? ''))).toEqual([]);

    // a1 rests; an admin can lift that by its name.
    const stats = await kieStats(stack);
    expect(stats.keys.find((k) => k.name === 'a1')).toMatchObject({ state: 'cooling' });
    expect(await adminSays(stack, ADMIN_ID, '/keys', /KIE accounts/)).toMatch(/– key a1: cooling down until .+ UTC/);
    expect(await adminSays(stack, ADMIN_ID, '/unblock a1', /a1/)).toBe('Unblocked a1: a1.');
    expect((await kieStats(stack)).keys.find((k) => k.name === 'a1')).toMatchObject({ state: 'ok' });
  });
});
