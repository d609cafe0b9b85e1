import postgres from 'postgres';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumers, encodeInvoicePayload } from '@neurocards/contracts';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { runReconcile } from '../src/ledger';
import { eventsOf } from '../src/events';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { adminSays, lastBotMessageId, PRODUCT_JPEG } from '../src/seller';

type SimUser = { userId: number; languageCode?: string };
type SimMessage = ReturnType<Stack['tg']['botMessages']>[number];

const buttons = (m: SimMessage) => (m.replyMarkup?.inline_keyboard ?? []).flat();
const hasButton = (m: SimMessage, data: RegExp) => buttons(m).some((b) => data.test(b.callback_data ?? ''));
const buttonData = (m: SimMessage, data: RegExp) => buttons(m).find((b) => data.test(b.callback_data ?? ''))!.callback_data!;

/**
 * Credits bought with Telegram Stars through the Telegram simulator (issue 9, "Done when"):
 * invoices, pre-checkout, the payment update delivered twice, billing killed between receiving
 * a payment and committing it, a stale invoice, "top up and continue", refunds. Every test ends
 * with `pnpm --filter @neurocards/billing reconcile` clean.
 */
describe('Stars purchases', () => {
  let stack: Stack;
  let sql: postgres.Sql;

  beforeAll(async () => {
    stack = await startStack({
      kieLatencyMs: 1500,
      env: { KIE_MODELS: 'kling-3.0/video', KIE_MODEL_PRICES: 'kling-3.0/video:2', CREDIT_PACKS: '10:150,30:400,100:1200' },
    });
    sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => undefined });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await stack?.stop();
  });

  const balance = (userId: number) => requestRpc(stack.nc, 'billing.balance.get', { userId }, 5000);

  /** The seller presses a pack (after `/buy`, or under any packs message newer than `after`) and gets its invoice. */
  async function invoiceFor(user: SimUser, credits: number, opts: { after?: number; resume?: RegExp } = {}): Promise<SimMessage> {
    let after = opts.after;
    if (after === undefined) {
      after = lastBotMessageId(stack, user.userId);
      await stack.tg.userSends(user, { text: '/buy' });
    }
    const data = new RegExp(`^buy\\|${credits}${opts.resume ? `\\|${opts.resume.source}` : '$'}`);
    const packs = await stack.tg.waitForBotMessage(user.userId, (m) => m.messageId > after && hasButton(m, data), 30_000);
    const mark = lastBotMessageId(stack, user.userId);
    await stack.tg.userPresses(user, packs.messageId, buttonData(packs, data));
    return stack.tg.waitForBotMessage(user.userId, (m) => m.messageId > mark && m.kind === 'invoice', 30_000);
  }

  const receipt = (userId: number, chargeId: string) =>
    stack.tg.waitForBotMessage(userId, (m) => (m.text ?? '').includes(chargeId), 60_000);

  /** Every update the gateway stored has been handled (nothing pending or unacked). */
  async function gatewayIdle(): Promise<void> {
    const jsm = await jetstreamManager(stack.nc);
    await eventually(async () => {
      const c = await jsm.consumers.info('UPDATES', consumers['bot-gateway'][0].durable);
      return c.num_pending === 0 && c.num_ack_pending === 0;
    }, 30_000, 200);
  }

  it('grants once when the successful_payment update arrives twice', async () => {
    const user = { userId: 7_900_001, languageCode: 'en' };
    const invoice = await invoiceFor(user, 10);
    expect(invoice.invoice).toMatchObject({ currency: 'XTR', total_amount: 150 });
    // The very update again, and a copy under a new update_id.
    const paid = await stack.tg.userPays(user, { messageId: invoice.messageId }, { redeliver: 'both' });
    expect(paid.status).toBe('paid');
    if (paid.status !== 'paid') return;
    expect(paid.updateIds).toHaveLength(2);
    const r = await receipt(user.userId, paid.telegramPaymentChargeId);
    expect(r.text).toMatch(/\+10 credits for 150 ⭐[\s\S]*Your balance: 10/);
    await gatewayIdle();
    await eventually(async () => (await balance(user.userId)).balance === 10, 30_000);
    const rows = await sql`select count(*)::int as n from billing.purchases where user_id = ${user.userId}`;
    expect(rows[0]!.n).toBe(1);
    expect((await eventsOf(stack.nc, 'payments.star.paid.v1')).filter((e) => e.data.userId === user.userId)).toHaveLength(1);
    expect(stack.tg.botMessages(user.userId).filter((m) => (m.text ?? '').includes(paid.telegramPaymentChargeId))).toHaveLength(1);
    expect((await balance(user.userId)).balance).toBe(10);
    await stack.reconcile();
  });

  it('grants once when billing is SIGKILLed between receiving the payment and committing it, and restarted', async () => {
    const user = { userId: 7_900_002, languageCode: 'en' };
    const first = await stack.tg.userPays(user, { messageId: (await invoiceFor(user, 10)).messageId });
    if (first.status !== 'paid') throw new Error(`first payment ${first.status}`);
    await receipt(user.userId, first.telegramPaymentChargeId);

    // Hold the account's row: billing takes the payment, opens its transaction and waits on the
    // row lock, i.e. it has received the payment and not committed it.
    const holder = await sql.reserve();
    try {
      await holder`begin`;
      await holder`select 1 from billing.accounts where user_id = ${user.userId} for update`;
      const second = await stack.tg.userPays(user, { messageId: (await invoiceFor(user, 30)).messageId });
      if (second.status !== 'paid') throw new Error(`second payment ${second.status}`);
      await eventually(async () => {
        const [w] = await sql`select count(*)::int as n from pg_stat_activity
          where application_name = 'billing' and wait_event_type = 'Lock' and state = 'active'`;
        return w!.n > 0;
      }, 30_000, 100);
      await stack.kill('billing');
      await holder`rollback`;

      // Nothing of the second purchase was committed.
      const [acc] = await sql`select purchased::int as p from billing.accounts where user_id = ${user.userId}`;
      expect(acc!.p).toBe(10);

      await stack.restart('billing');
      // The unacknowledged payment comes back to billing once its ack wait has passed.
      await eventually(async () => (await balance(user.userId)).balance === 40, 120_000, 500);
      await receipt(user.userId, second.telegramPaymentChargeId);
      const rows = await sql`select charge_id from billing.purchases where user_id = ${user.userId}`;
      expect(rows.map((x) => x.charge_id).sort()).toEqual([first.telegramPaymentChargeId, second.telegramPaymentChargeId].sort());
      const ledger = await sql`select count(*)::int as n from billing.ledger where user_id = ${user.userId} and kind = 'purchase'`;
      expect(ledger[0]!.n).toBe(2);
    } finally {
      holder.release();
    }
    expect((await balance(user.userId)).balance).toBe(40);
    await stack.reconcile();
  });

  it('refuses a stale invoice, and a repriced pack, at pre-checkout; nothing is charged or granted', async () => {
    const user = { userId: 7_900_003, languageCode: 'en' };
    await stack.tg.userSends(user, { text: '/start' });
    const invoice = async (payload: string, stars: number) => {
      // An invoice the bot sent a day ago, as Telegram keeps it payable: sent here through the
      // Bot API the gateway uses, with a payload made as the gateway makes it.
      const res = await fetch(`${stack.tg.apiRoot}/bot${stack.tg.token}/sendInvoice`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          chat_id: user.userId,
          title: 'Credits',
          description: 'Credits for videos',
          payload,
          currency: 'XTR',
          provider_token: '',
          prices: [{ label: 'Credits', amount: stars }],
        }),
      });
      const body = (await res.json()) as { ok: boolean; result: { message_id: number } };
      expect(body.ok).toBe(true);
      return body.result.message_id;
    };
    const now = Math.floor(Date.now() / 1000);
    const stale = await invoice(
      encodeInvoicePayload({ credits: 10, stars: 150, purchaseId: 'StaleInvoice0001', createdAt: now - 25 * 3600 }),
      150,
    );
    const starsBefore = stack.tg.starBalance(user.userId);
    const refused = await stack.tg.userPays(user, { messageId: stale });
    expect(refused).toMatchObject({ status: 'refused', errorMessage: expect.stringMatching(/expired/) });

    const repriced = await invoice(
      encodeInvoicePayload({ credits: 10, stars: 120, purchaseId: 'RepricedInv00001', createdAt: now - 60 }),
      120,
    );
    expect(await stack.tg.userPays(user, { messageId: repriced })).toMatchObject({
      status: 'refused',
      errorMessage: expect.stringMatching(/no longer sold or its price changed/),
    });
    expect(stack.tg.starBalance(user.userId)).toBe(starsBefore);
    expect((await balance(user.userId)).balance).toBe(0);
    expect(await sql`select 1 from billing.purchases where user_id = ${user.userId}`).toHaveLength(0);
    await stack.reconcile();
  });

  const seller = { userId: 7_900_004, languageCode: 'en' };
  let chargeId = '';

  it('"top up and continue" lands on the same order\'s confirmation, and the order then goes through', async () => {
    const mark = lastBotMessageId(stack, seller.userId);
    await stack.tg.userSends(seller, { photo: { bytes: PRODUCT_JPEG } });
    const draft = await stack.tg.waitForBotMessage(seller.userId, (m) => m.messageId > mark && hasButton(m, /^tpl:/), 30_000);
    const tap = async (data: RegExp) => {
      const m = await stack.tg.waitForBotMessage(seller.userId, (x) => x.messageId === draft.messageId && hasButton(x, data), 30_000);
      await stack.tg.userPresses(seller, m.messageId, buttonData(m, data));
    };
    await tap(/^tpl:.+:ugc$/);
    await tap(/^skip:/);
    await tap(/^next:/);
    // No credits: every count is locked. Pressing one explains and offers the packs.
    const draftId = buttonData(
      await stack.tg.waitForBotMessage(seller.userId, (x) => x.messageId === draft.messageId && hasButton(x, /^lock:.+:1$/), 30_000),
      /^lock:.+:1$/,
    ).split(':')[1]!;
    const beforePacks = lastBotMessageId(stack, seller.userId);
    await tap(/^lock:.+:1$/);
    const invoice = await invoiceFor(seller, 10, { after: beforePacks, resume: new RegExp(`cont:${draftId}:1`) });
    const paid = await stack.tg.userPays(seller, { messageId: invoice.messageId });
    if (paid.status !== 'paid') throw new Error(`payment ${paid.status}`);
    chargeId = paid.telegramPaymentChargeId;

    // The receipt leads back to this draft's confirmation (a message of its own), same photo and choices.
    const r = await receipt(seller.userId, chargeId);
    expect(r.text).toMatch(/Your balance: 10/);
    const afterReceipt = lastBotMessageId(stack, seller.userId);
    await stack.tg.userPresses(seller, r.messageId, buttonData(r, new RegExp(`^cont:${draftId}:1$`)));
    const confirm = await stack.tg.waitForBotMessage(
      seller.userId,
      (m) => m.messageId > afterReceipt && hasButton(m, new RegExp(`^ok:${draftId}$`)),
      30_000,
    );
    expect(confirm.text).toMatch(/Step 5 of 5/);
    await stack.tg.userPresses(seller, confirm.messageId, `ok:${draftId}`);

    const completed = await eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.userId === seller.userId)),
      120_000,
      500,
    );
    expect(completed.data).toMatchObject({ delivered: 1, failed: 0 });
    await eventually(async () => {
      const b = await balance(seller.userId);
      return b.balance === 8 && b.held === 0;
    }, 30_000);
    await stack.reconcile();
  });

  it('a refund after two of ten credits were spent takes back eight; a second refund changes nothing', async () => {
    expect(chargeId).not.toBe('');
    const first = await adminSays(stack, ADMIN_ID, `/refund ${chargeId}`, new RegExp(chargeId));
    expect(first).toMatch(/Taken off the balance: 8 of 10; could not take back 2/);
    expect(await balance(seller.userId)).toMatchObject({ balance: 0, held: 0 });
    expect(stack.tg.payments().refunds.filter((x) => x.telegramChargeId === chargeId)).toHaveLength(1);

    const second = await adminSays(stack, ADMIN_ID, `/refund ${chargeId}`, new RegExp(chargeId));
    expect(second).toMatch(/already refunded: 8 of 10 taken back, 2 not\. Nothing changed/);
    expect(await balance(seller.userId)).toMatchObject({ balance: 0, held: 0 });
    expect(stack.tg.payments().refunds.filter((x) => x.telegramChargeId === chargeId)).toHaveLength(1);

    const unknown = await adminSays(stack, ADMIN_ID, '/refund no-such-charge', /no-such-charge/);
    expect(unknown).toMatch(/not found\. Nothing changed/);
    await stack.reconcile();
  });

  it('an order billing refused: "Top up and continue" under the refusal leads, once paid, to the same photo and choices, and the order goes through', async () => {
    const user = { userId: 7_900_005, languageCode: 'en' };
    // 10 credits bought; a draft of 5 videos at 2 credits waits at Confirm; the purchase is
    // then refunded, so the confirmed order finds the balance empty and billing refuses it.
    const bought = await stack.tg.userPays(user, { messageId: (await invoiceFor(user, 10)).messageId });
    if (bought.status !== 'paid') throw new Error(`payment ${bought.status}`);
    await receipt(user.userId, bought.telegramPaymentChargeId);
    const mark = lastBotMessageId(stack, user.userId);
    await stack.tg.userSends(user, { photo: { bytes: PRODUCT_JPEG } });
    const draft = await stack.tg.waitForBotMessage(user.userId, (m) => m.messageId > mark && hasButton(m, /^tpl:/), 30_000);
    const tap = async (data: RegExp) => {
      const m = await stack.tg.waitForBotMessage(user.userId, (x) => x.messageId === draft.messageId && hasButton(x, data), 30_000);
      await stack.tg.userPresses(user, m.messageId, buttonData(m, data));
    };
    await tap(/^tpl:.+:ad$/);
    await tap(/^skip:/);
    await tap(/^next:/);
    await tap(/^cnt:.+:5$/);
    await stack.tg.waitForBotMessage(user.userId, (x) => x.messageId === draft.messageId && hasButton(x, /^ok:/), 30_000);
    expect(await adminSays(stack, ADMIN_ID, `/refund ${bought.telegramPaymentChargeId}`, new RegExp(bought.telegramPaymentChargeId))).toMatch(
      /Taken off the balance: 10 of 10/,
    );
    const beforeRefusal = lastBotMessageId(stack, user.userId);
    await tap(/^ok:/);
    const refusal = await stack.tg.waitForBotMessage(
      user.userId,
      (m) => m.messageId > beforeRefusal && hasButton(m, /^packs\|again:/),
      60_000,
    );
    expect(refusal.text).toMatch(/Not enough credits: your balance is 0, the order needs 10/);
    const refusedOrder = (await eventsOf(stack.nc, 'billing.credits.rejected.v1')).find((e) => e.data.userId === user.userId)!;

    const beforePacks = lastBotMessageId(stack, user.userId);
    await stack.tg.userPresses(user, refusal.messageId, buttonData(refusal, /^packs\|again:/));
    const invoice = await invoiceFor(user, 10, { after: beforePacks, resume: /again:[A-Za-z0-9-]+/ });
    const paid = await stack.tg.userPays(user, { messageId: invoice.messageId });
    if (paid.status !== 'paid') throw new Error(`payment ${paid.status}`);
    const r = await receipt(user.userId, paid.telegramPaymentChargeId);
    const afterReceipt = lastBotMessageId(stack, user.userId);
    await stack.tg.userPresses(user, r.messageId, buttonData(r, /^again:/));
    const confirm = await stack.tg.waitForBotMessage(user.userId, (m) => m.messageId > afterReceipt && hasButton(m, /^ok:/), 30_000);
    expect(confirm.text).toMatch(/Step 5 of 5[\s\S]*Ad[\s\S]*Videos: 5[\s\S]*10 \(5 × 2\)/);
    await stack.tg.userPresses(user, confirm.messageId, buttonData(confirm, /^ok:/));

    const completed = await eventually(
      () =>
        eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) =>
          e.find((c) => c.data.userId === user.userId && c.data.orderId !== refusedOrder.data.orderId),
        ),
      120_000,
      500,
    );
    expect(completed.data).toMatchObject({ count: 5, delivered: 5, failed: 0 });
    // The same photo as the refused order.
    const orders = (await eventsOf(stack.nc, 'orders.order.placed.v1')).filter((e) => e.data.userId === user.userId);
    expect(orders).toHaveLength(2);
    expect(orders[1]!.data.photo).toEqual(orders[0]!.data.photo);
    await eventually(async () => {
      const b = await balance(user.userId);
      return b.balance === 0 && b.held === 0;
    }, 30_000);
    await stack.reconcile();
  });

  it('reconcile exits non-zero on a ledger corrupted by hand, naming the account', async () => {
    const userId = 7_900_002;
    await sql`update billing.accounts set purchased = purchased + 3 where user_id = ${userId}`;
    try {
      // Exit 2 is "could not check" (the shared PostgreSQL out of connections for a moment).
      const r = await eventually(async () => {
        const x = await runReconcile(stack.databaseUrl);
        return x.code === 2 ? null : x;
      }, 30_000, 1000);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(new RegExp(`account ${userId}:[\\s\\S]*purchased: stored 43, ledger 40`));
    } finally {
      await sql`update billing.accounts set purchased = purchased - 3 where user_id = ${userId}`;
    }
    await stack.reconcile();
  });
});
