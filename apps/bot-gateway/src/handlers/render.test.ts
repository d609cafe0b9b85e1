import { describe, expect, it } from 'vitest';
import { decodeCallback } from '../domain/callback-data';
import { t } from '../i18n';
import { renderAnswer, renderReply } from './render';

const buttons = (r: ReturnType<typeof renderReply>) =>
  r
    .keyboard!.inline_keyboard.flat()
    .map((b) => ({ text: b.text, data: decodeCallback((b as { callback_data: string }).callback_data) }));

describe('renderReply', () => {
  it('offers the three templates with the draft id', () => {
    const r = renderReply(t, 'en', { type: 'askTemplate', draftId: 'd9' });
    expect(buttons(r).map((b) => b.data)).toEqual([
      { action: 'template', draftId: 'd9', template: 'ugc' },
      { action: 'template', draftId: 'd9', template: 'ad' },
      { action: 'template', draftId: 'd9', template: 'custom' },
    ]);
  });

  it('has Skip for UGC and Ad only', () => {
    expect(
      renderReply(t, 'ru', { type: 'askWishes', draftId: 'd', template: 'ad', optional: true }).keyboard,
    ).toBeDefined();
    expect(
      renderReply(t, 'ru', { type: 'askWishes', draftId: 'd', template: 'custom', optional: false }).keyboard,
    ).toBeUndefined();
  });

  it('locks counts the balance cannot pay and shows the balance', () => {
    const r = renderReply(t, 'en', { type: 'askCount', draftId: 'd', creditsPerVideo: 1 }, { balance: 3 });
    expect(r.text).toContain('3');
    expect(buttons(r)).toEqual([
      { text: '1', data: { action: 'count', draftId: 'd', count: 1 } },
      { text: '3', data: { action: 'count', draftId: 'd', count: 3 } },
      { text: '🔒 5', data: { action: 'locked', draftId: 'd', count: 5 } },
    ]);
  });

  it('locks counts by their price and names the price of one video', () => {
    const r = renderReply(t, 'en', { type: 'askCount', draftId: 'd', creditsPerVideo: 2 }, { balance: 6 });
    expect(r.text).toBe(t('en', 'askCount', { balance: 6, price: 2 }));
    expect(r.text).toContain('One video costs 2 credits');
    expect(buttons(r).map((b) => b.data?.action)).toEqual(['count', 'count', 'locked']);
  });

  it('says so when the balance is unavailable', () => {
    const r = renderReply(t, 'en', { type: 'askCount', draftId: 'd', creditsPerVideo: 1 }, { balance: null });
    expect(r.text).toBe(t('en', 'askCountUnknownBalance', { price: 1 }));
    const welcome = renderReply(t, 'ru', { type: 'welcome' }, { balance: null, firstName: 'Аня' });
    expect(welcome.text).toContain(t('ru', 'balanceUnavailable'));
  });

  it('renders the welcome with balance and bonus', () => {
    const r = renderReply(t, 'en', { type: 'welcome' }, { balance: 5, bonus: 5, firstName: 'Ann' });
    expect(r.text).toContain('Ann');
    expect(r.text).toContain(t('en', 'welcomeBonus', { amount: 5 }));
    expect(r.text).toContain(t('en', 'balanceLine', { balance: 5 }));
  });

  it('summarises the order with Confirm and Cancel', () => {
    const draft = {
      step: 'confirm' as const,
      id: 'd',
      orderId: 'order-1234',
      photo: { objectKey: 'k', mimeType: 'image/png' as const, sizeBytes: 1, fileUniqueId: 'u' },
      template: 'ad' as const,
      wishes: null,
      count: 5 as const,
      spec: { model: 'veo3_fast', aspectRatio: 'portrait' as const, duration: 8 },
      creditsPerVideo: 3,
      modelLabel: 'Veo 3.1 Fast',
    };
    const r = renderReply(t, 'en', { type: 'summary', draft });
    expect(r.text).toContain('Ad');
    expect(r.text).toContain('Model: Veo 3.1 Fast, vertical 9:16, 8 s');
    expect(r.text).toContain('Credits to be charged: 15');
    expect(renderReply(t, 'ru', { type: 'summary', draft }).text).toContain('Будет списано кредитов: 15');
    expect(buttons(r).map((b) => b.data?.action)).toEqual(['confirm', 'cancel']);
  });

  it('tells plainly that generation is unavailable, in both languages', () => {
    expect(renderReply(t, 'en', { type: 'unavailable' }).text).toMatch(/temporarily unavailable/);
    expect(renderReply(t, 'ru', { type: 'unavailable' }).text).toMatch(/временно недоступна/);
  });

  it('answers buttons', () => {
    expect(renderAnswer(t, 'en', { type: 'ok' })).toEqual({});
    expect(renderAnswer(t, 'en', { type: 'outdated' })).toEqual({ text: 'This button is outdated.' });
    const locked = renderAnswer(t, 'en', { type: 'locked', count: 5, total: 10 });
    expect(locked).toEqual({ text: expect.stringContaining('5 videos cost 10 credits'), show_alert: true });
  });
});
