import { describe, expect, it } from 'vitest';
import { compareLocales } from '@neurocards/i18n';
import { parseQueueCancelCallback, type EventData, type FailureClass, type Locale } from '@neurocards/contracts';
import { validFixtures } from '@neurocards/contracts/testing';
import * as m from './messages';
import { locales } from './texts';

const LOCALES: Locale[] = ['ru', 'en'];
const SUPPORT = '@neuro_help';
const noPlaceholders = (s: string) => expect(s, s).not.toMatch(/\{\w+\}/);

const fx = <S extends keyof typeof validFixtures>(s: S, locale: Locale): EventData<S> => {
  const d = validFixtures[s] as EventData<S> & { locale?: Locale };
  return ('locale' in d ? { ...d, locale } : d) as EventData<S>;
};

describe('locale files', () => {
  it('en has exactly the keys and params of ru', () => {
    expect(compareLocales(locales.ru, locales.en)).toEqual([]);
  });
});

describe('orderNumber', () => {
  it('is the first 8 characters of the order id, upper case', () => {
    expect(m.orderNumber('0b6f5a8e-3d1c-4a5e-9f7b-1c2d3e4f5a6b')).toBe('0B6F5A8E');
  });
});

describe.each(LOCALES)('messages in %s', (locale) => {
  const ru = locale === 'ru';

  it('credits reserved: taken into work, order number and the credits held', () => {
    const d = fx('billing.credits.reserved.v1', locale);
    const msg = m.orderStatus({ ...d, progress: { kind: 'queued', ahead: 7, waitSeconds: 1500 } });
    expect(msg).toMatchObject({ kind: 'text', chatId: d.chatId, purpose: 'order-taken', key: `order:${d.orderId}:taken` });
    expect(msg.text).toContain(ru ? 'взят в работу' : 'taken into work');
    expect(msg.text).toContain('0B6F5A8E');
    expect(msg.text).toContain(`${d.amount}`);
    expect(msg.text).toContain(ru ? 'в очереди перед вашим: 7' : 'in the queue: 7');
    expect(msg.text).toContain(ru ? 'примерно через 25 мин' : 'in about 25 min');
    noPlaceholders(msg.text);
    // One button: cancel the order's queued videos, handled by bot-gateway.
    expect(msg.buttons).toEqual([
      { text: ru ? '🚫 Отменить видео в очереди' : '🚫 Cancel queued videos', data: `qc:${d.orderId}` },
    ]);
    expect(parseQueueCancelCallback(msg.buttons![0]!.data)).toBe(d.orderId);
    expect(Buffer.byteLength(msg.buttons![0]!.data)).toBeLessThanOrEqual(64);
  });

  it('credits rejected: balance, needed, and how to top up', () => {
    const d = { ...fx('billing.credits.rejected.v1', locale), balance: 2, requested: 5 };
    const msg = m.creditsRejected(d, SUPPORT);
    expect(msg.text).toMatch(/2\D[\s\S]*5/);
    expect(msg.text).toContain(SUPPORT);
    noPlaceholders(msg.text);
    const bare = m.creditsRejected(d, '');
    noPlaceholders(bare.text);
    // Top up and continue: the packs, leading back to this order.
    expect(msg.buttons).toEqual([{ text: expect.any(String), data: `packs|again:${d.orderId.slice(0, 16)}` }]);
    expect(Buffer.byteLength(msg.buttons![0]!.data)).toBeLessThanOrEqual(64);
  });

  it('credits purchased: the pack, the new balance, the payment id, and the way back to the order', () => {
    const d = { ...fx('billing.credits.purchased.v1', locale), credits: 30, stars: 400, balance: 32 };
    const msg = m.creditsPurchased(d);
    expect(msg.key).toBe(`charge:${d.chargeId}:receipt`);
    expect(msg.text).toMatch(/30[\s\S]*400 ⭐[\s\S]*32/);
    expect(msg.text).toContain(d.chargeId);
    noPlaceholders(msg.text);
    expect(msg.buttons).toEqual([{ text: expect.any(String), data: d.resume }]);
    const { resume: _r, ...plain } = d;
    expect(m.creditsPurchased(plain).buttons).toBeUndefined();
  });

  it('credits granted: amount and new balance, to the user private chat', () => {
    const d = { ...validFixtures['billing.credits.granted.v1'], amount: 10, balance: 13 };
    const msg = m.creditsGranted(d, locale);
    expect(msg.chatId).toBe(d.userId);
    expect(msg.key).toBe(`grant:${d.grantId}`);
    expect(msg.text).toContain('10');
    expect(msg.text).toContain('13');
    expect(msg.text).toContain(ru ? 'кредиты' : 'credits');
    noPlaceholders(msg.text);
  });

  it('the status message once started: the same key, the queue line changes, the button goes when nothing is queued', () => {
    const d = fx('billing.credits.reserved.v1', locale);
    const still = m.orderStatus({ ...d, progress: { kind: 'started', waiting: 2, lastWaitSeconds: 600 } });
    expect(still.key).toBe(`order:${d.orderId}:taken`);
    expect(still.text).toContain(ru ? 'Ещё в очереди: 2' : 'Still in the queue: 2');
    expect(still.buttons).toHaveLength(1);
    const done = m.orderStatus({ ...d, progress: { kind: 'started', waiting: 0, lastWaitSeconds: null } });
    expect(done.text).toContain(ru ? 'Генерация началась' : 'Generation started');
    expect(done.buttons).toEqual([]);
    const unknown = m.orderStatus({ ...d, progress: { kind: 'unknown', started: false } });
    expect(unknown.text).toContain(ru ? 'как только будут готовы' : 'as soon as they are ready');
    for (const x of [still, done, unknown]) noPlaceholders(x.text);
  });

  it('video ready: the URL with caption "Video i of n · order #…"', () => {
    const d = { ...fx('jobs.video.ready.v1', locale), index: 2, count: 3 as const };
    const msg = m.videoReady(d);
    expect(msg).toMatchObject({ kind: 'video', videoUrl: d.videoUrl, chatId: d.chatId, key: `job:${d.jobId}:video` });
    const order = m.orderNumber(d.orderId);
    expect(msg.caption).toBe(ru ? `Видео 2 из 3 · заказ № ${order}` : `Video 2 of 3 · order #${order}`);
    expect(msg.buttons?.map((b) => b.data)).toEqual([`again:${d.orderId.slice(0, 16)}`, `retpl:${d.orderId.slice(0, 16)}`]);
  });

  const expected: Record<Exclude<FailureClass, 'cancelled'>, { ru: string; en: string }> = {
    user_violation: { ru: 'нарушает правила видеомодели', en: "breaks the video model's content rules" },
    billing: { ru: 'временно недоступен', en: 'Temporarily unavailable' },
    config: { ru: 'временно недоступен', en: 'Temporarily unavailable' },
    exhausted: { ru: 'не удалось сгенерировать это видео, кредит вернулся', en: 'could not generate this video; the credit is back' },
    expired: { ru: 'не удалось сгенерировать это видео, кредит вернулся', en: 'could not generate this video; the credit is back' },
    undeliverable: { ru: 'не удалось доставить его в этот чат, кредит вернулся', en: 'could not deliver it to this chat; the credit is back' },
  };
  it.each(Object.keys(expected) as Exclude<FailureClass, 'cancelled'>[])('video failed (%s): the docs/design.md §1 message', (reason) => {
    const d = { ...fx('jobs.video.failed.v1', locale), reason, index: 1, count: 3 as const };
    const msg = m.videoFailed(d, SUPPORT);
    expect(msg.key).toBe(`job:${d.jobId}:failed`);
    expect(msg.text.toLowerCase()).toContain(expected[reason][locale].toLowerCase());
    expect(msg.text).toContain(ru ? 'Видео 1 из 3' : 'Video 1 of 3');
    if (reason === 'billing' || reason === 'config') expect(msg.text).toContain(SUPPORT);
    else expect(msg.text).not.toContain(SUPPORT);
    noPlaceholders(msg.text);
    noPlaceholders(m.videoFailed(d, '').text);
  });

  it('videos cancelled while queued: one message per order, not per video', () => {
    const d = { ...fx('jobs.video.failed.v1', locale), reason: 'cancelled' as const, index: 2, count: 3 as const };
    const a = m.videoFailed(d, SUPPORT);
    const b = m.videoFailed({ ...d, jobId: 'another-job', index: 3 }, SUPPORT);
    expect(a.key).toBe(`order:${d.orderId}:cancelled`);
    expect(b.key).toBe(a.key);
    expect(a.text).toContain(m.orderNumber(d.orderId));
    expect(a.text).toContain(ru ? 'кредиты вернулись' : 'credits are back');
    noPlaceholders(a.text);
  });

  it('order completed: delivered, refunded and balance; without balance when billing is silent', () => {
    const d = { ...fx('jobs.order.completed.v1', locale), count: 3 as const, delivered: 2, failed: 1 };
    const withBalance = m.orderSummary(d, 42);
    expect(withBalance.key).toBe(m.summaryKey(d.orderId));
    expect(withBalance.text).toContain(ru ? 'Доставлено видео: 2 из 3' : 'Videos delivered: 2 of 3');
    // Failed videos, not credits: a video of a dearer model returns more than one credit.
    expect(withBalance.text).toContain(ru ? 'Видео с возвратом кредитов: 1' : 'Videos refunded: 1');
    expect(withBalance.text).toContain('42');
    const without = m.orderSummary(d, null);
    expect(without.text).not.toMatch(ru ? /Баланс/ : /Balance/);
    noPlaceholders(withBalance.text);
    noPlaceholders(without.text);
  });
});

describe('key blocked alerts', () => {
  const d = validFixtures['kie.key.blocked.v1'];

  it('go to every admin, in Russian, with key, code, message and until', () => {
    const alerts = m.keyBlockedAlerts('ev-1', { ...d, allKeysBlocked: false }, [10, 20, 10]);
    expect(alerts.map((a) => a.chatId)).toEqual([10, 20]);
    expect(new Set(alerts.map((a) => a.key)).size).toBe(2);
    const text = alerts[0]!.text;
    expect(text).toContain('«main»');
    expect(text).toContain('402');
    expect(text).toContain('Insufficient credits');
    expect(text).toContain('2026-11-25 20:00 UTC');
    expect(text).not.toContain('ВСЕ');
  });

  it('shout when every key is blocked', () => {
    const [alert] = m.keyBlockedAlerts('ev-2', { ...d, allKeysBlocked: true, code: null }, [1]);
    expect(alert!.text).toContain('ВСЕ KIE-КЛЮЧИ ЗАБЛОКИРОВАНЫ');
    expect(alert!.text).toContain('Код: —');
  });

  it('go nowhere without admins', () => {
    expect(m.keyBlockedAlerts('ev-3', d, [])).toEqual([]);
  });
});

describe('model unavailable alerts', () => {
  const d = validFixtures['kie.model.unavailable.v1'];

  it('go to every admin once per (model, account), in Russian, with model, account, code and KIE message', () => {
    const alerts = m.modelUnavailableAlerts({ ...d, stillOffered: true }, [10, 20, 10]);
    expect(alerts.map((a) => a.chatId)).toEqual([10, 20]);
    expect(alerts.map((a) => a.key)).toEqual([
      'model:sora-2-image-to-video:main:unavailable:10',
      'model:sora-2-image-to-video:main:unavailable:20',
    ]);
    expect(alerts.every((a) => a.purpose === 'model-unavailable')).toBe(true);
    const text = alerts[0]!.text;
    expect(text).toContain('«sora-2-image-to-video»');
    expect(text).toContain('«main»');
    expect(text).toContain('422');
    expect(text).toContain('model not supported');
    expect(text).not.toContain('/model on');
    noPlaceholders(text);
  });

  it('say how to turn the model back on when the bot no longer offers it', () => {
    const [alert] = m.modelUnavailableAlerts({ ...d, stillOffered: false, code: null, message: '' }, [1]);
    expect(alert!.text).toContain('/model on sora-2-image-to-video');
    expect(alert!.text).toContain('Код: —');
    noPlaceholders(alert!.text);
  });

  it('the same model on another account is another alert; without admins, none', () => {
    const [a] = m.modelUnavailableAlerts(d, [1]);
    const [b] = m.modelUnavailableAlerts({ ...d, account: 'spare' }, [1]);
    expect(a!.key).not.toBe(b!.key);
    expect(m.modelUnavailableAlerts(d, [])).toEqual([]);
  });
});

describe('KIE credit alerts', () => {
  it('low: account, credits and threshold to every admin, keyed by the event', () => {
    const alerts = m.creditAlerts('ev-low', 'low', validFixtures['kie.credits.low.v1'], [10, 20]);
    expect(alerts.map((a) => [a.chatId, a.key, a.purpose])).toEqual([
      [10, 'event:ev-low:credits-low:10', 'credits-alert'],
      [20, 'event:ev-low:credits-low:20', 'credits-alert'],
    ]);
    expect(alerts[0]!.text).toContain('«main»');
    expect(alerts[0]!.text).toContain('120.5');
    expect(alerts[0]!.text).toContain('500');
    expect(alerts[0]!.text).toContain('мало кредитов');
    noPlaceholders(alerts[0]!.text);
  });

  it('recovered: its own text and key, so a fall after a recovery alerts again', () => {
    const [alert] = m.creditAlerts('ev-up', 'recovered', validFixtures['kie.credits.recovered.v1'], [10]);
    expect(alert!.key).toBe('event:ev-up:credits-recovered:10');
    expect(alert!.text).toContain('восстановлен');
    expect(alert!.text).toContain('2000');
    noPlaceholders(alert!.text);
  });
});

describe('KIE queue alerts', () => {
  it('stalled, then recovered: each to every admin, keyed by its event', () => {
    const stalled = m.queueAlerts('ev-st', 'stalled', validFixtures['kie.queue.stalled.v1'], [10, 20]);
    expect(stalled.map((a) => [a.chatId, a.key, a.purpose])).toEqual([
      [10, 'event:ev-st:queue-stalled:10', 'queue-alert'],
      [20, 'event:ev-st:queue-stalled:20', 'queue-alert'],
    ]);
    expect(stalled[0]!.text).toContain('2026-12-01 17:00 UTC');
    expect(stalled[0]!.text).toContain('40');
    noPlaceholders(stalled[0]!.text);
    const [up] = m.queueAlerts('ev-up', 'recovered', validFixtures['kie.queue.recovered.v1'], [10]);
    expect(up!.key).toBe('event:ev-up:queue-recovered:10');
    expect(up!.text).not.toBe(stalled[0]!.text);
    noPlaceholders(up!.text);
  });
});
