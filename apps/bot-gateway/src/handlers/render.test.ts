import { describe, expect, it } from 'vitest';
import type { Locale } from '@neurocards/contracts';
import { offeredModel } from '../../test/support';
import { decodeCallback } from '../domain/callback-data';
import type { Draft } from '../domain/session';
import { t } from '../i18n';
import { renderAnswer, renderReply, type Facts } from './render';

const buttons = (r: ReturnType<typeof renderReply>) =>
  r
    .keyboard!.inline_keyboard.flat()
    .map((b) => ({ text: b.text, data: decodeCallback((b as { callback_data: string }).callback_data) }));
const actions = (r: ReturnType<typeof renderReply>) => buttons(r).map((b) => b.data?.action);

const kling = offeredModel({ creditsPerVideo: 1 });
const veo = offeredModel({ id: 'veo3_fast', label: 'Veo 3.1 Fast', creditsPerVideo: 3, durations: [8], defaultDuration: 8 });
const offer = [kling, veo];
const base: Draft = {
  step: 'template',
  id: 'd9',
  orderId: 'order-1234',
  photo: { objectKey: 'k', mimeType: 'image/png', sizeBytes: 1, fileUniqueId: 'u' },
};
const chosen = {
  template: 'ad' as const,
  wishes: null,
  spec: { model: 'veo3_fast', aspectRatio: 'portrait' as const, duration: 8 },
  creditsPerVideo: 3,
  modelLabel: 'Veo 3.1 Fast',
};
const screen = (locale: Locale, draft: Draft, facts: Facts = {}) =>
  renderReply(t, locale, { type: 'screen', draft, offer }, facts);

describe('the draft screens', () => {
  it.each(['ru', 'en'] as const)('every step shows "Step n of 5" (%s), Cancel, and Back after the first', (locale) => {
    const steps: Draft[] = [
      base,
      { ...base, step: 'wishes', template: 'ugc' },
      { ...base, step: 'video', ...chosen },
      { ...base, step: 'count', ...chosen },
      { ...base, step: 'confirm', ...chosen, count: 1 },
    ];
    steps.forEach((d, i) => {
      const r = screen(locale, d, { balance: 10 });
      expect(r.text.split('\n')[0]).toBe(t(locale, 'stepIndicator', { step: i + 1, total: 5 }));
      expect(actions(r).at(-1)).toBe('cancel');
      expect(actions(r).includes('back')).toBe(i > 0);
    });
  });

  it('offers the three templates with the draft id, and shows a caption taken as wishes', () => {
    const r = screen('en', { ...base, wishes: 'on a white table', fromCaption: true });
    expect(buttons(r).map((b) => b.data).slice(0, 3)).toEqual([
      { action: 'template', draftId: 'd9', template: 'ugc' },
      { action: 'template', draftId: 'd9', template: 'ad' },
      { action: 'template', draftId: 'd9', template: 'custom' },
    ]);
    expect(r.text).toContain(t('en', 'captionWishes', { wishes: 'on a white table' }));
  });

  it('has Skip for UGC and Ad only', () => {
    expect(actions(screen('ru', { ...base, step: 'wishes', template: 'ad' }))).toContain('skip');
    expect(actions(screen('ru', { ...base, step: 'wishes', template: 'custom' }))).not.toContain('skip');
  });

  it('the video step lists every model with its price, the selected one marked, and Next', () => {
    const r = screen('en', { ...base, step: 'video', ...chosen, spec: { model: kling.id, aspectRatio: 'landscape', duration: 10 }, creditsPerVideo: 1, modelLabel: 'Kling 3.0' });
    const texts = buttons(r).map((b) => b.text);
    expect(texts).toEqual([
      '✓ Kling 3.0 · 1 cr.',
      'Veo 3.1 Fast · 3 cr.',
      '9:16 vertical',
      '✓ 16:9 horizontal',
      '5 s',
      '✓ 10 s',
      'Next ➡️',
      '⬅️ Back',
      '✖️ Cancel',
    ]);
    expect(r.text).toContain('Quality: Kling 3.0 — 1 credit per video');
    // A model with one length offers no length buttons.
    const v = screen('ru', { ...base, step: 'video', ...chosen });
    expect(actions(v).filter((a) => a === 'length')).toEqual([]);
    expect(v.text).toContain('Качество: Veo 3.1 Fast — 3 кредита за видео');
  });

  it('locks counts the balance cannot pay at the chosen model price', () => {
    const r = screen('en', { ...base, step: 'count', ...chosen, creditsPerVideo: 2 }, { balance: 6 });
    expect(r.text).toContain(t('en', 'askCount', { balance: 6, price: 2 }));
    expect(buttons(r).slice(0, 3)).toEqual([
      { text: '1', data: { action: 'count', draftId: 'd9', count: 1 } },
      { text: '3', data: { action: 'count', draftId: 'd9', count: 3 } },
      { text: '🔒 5', data: { action: 'locked', draftId: 'd9', count: 5 } },
    ]);
    const unknown = screen('en', { ...base, step: 'count', ...chosen }, { balance: null });
    expect(unknown.text).toContain(t('en', 'askCountUnknownBalance', { price: 3 }));
  });

  it('summarises the order: model, format, length, price × count; Confirm, Back, Cancel; the wait hook', () => {
    const draft: Draft = { ...base, step: 'confirm', ...chosen, count: 5 };
    const r = screen('en', draft, { waitWarning: 'Queue: about 10 minutes.' });
    expect(r.text).toContain('Quality: Veo 3.1 Fast, vertical 9:16, 8 s');
    expect(r.text).toContain('Credits to be charged: 15 (5 × 3)');
    expect(r.text).toContain('Queue: about 10 minutes.');
    expect(screen('ru', draft).text).toContain('Будет списано кредитов: 15 (5 × 3)');
    expect(actions(r)).toEqual(['confirm', 'back', 'cancel']);
  });
});

describe('other replies', () => {
  it('renders the welcome with balance and bonus; unavailable balance said so', () => {
    const r = renderReply(t, 'en', { type: 'welcome' }, { balance: 5, bonus: 5, firstName: 'Ann' });
    expect(r.text).toContain('Ann');
    expect(r.text).toContain(t('en', 'welcomeBonus', { amount: 5 }));
    expect(r.text).toContain(t('en', 'balanceLine', { balance: 5 }));
    const welcome = renderReply(t, 'ru', { type: 'welcome' }, { balance: null, firstName: 'Аня' });
    expect(welcome.text).toContain(t('ru', 'balanceUnavailable'));
  });

  it('/balance lists the ledger lines with dates, in each language', () => {
    const facts: Facts = {
      balance: 7,
      held: 2,
      ledger: [
        { kind: 'release', amount: 1, orderId: 'abcdef12-0000', at: '2026-11-30T10:00:00Z' },
        { kind: 'capture', amount: 3, orderId: 'abcdef12-0000', at: '2026-11-30T09:00:00Z' },
        { kind: 'welcome', amount: 2, orderId: null, at: '2026-11-29T08:00:00Z' },
        { kind: 'grant', amount: 10, orderId: null, at: '2026-11-28T08:00:00Z' },
      ],
    };
    const en = renderReply(t, 'en', { type: 'balance' }, facts).text;
    expect(en.split('\n')).toEqual([
      'Your balance: 7 credits.',
      'Reserved for orders in progress: 2.',
      '',
      'Latest transactions:',
      '2026-11-30  +1 — refund of order #ABCDEF12',
      '2026-11-30  −3 — video of order #ABCDEF12',
      '2026-11-29  +2 — welcome bonus',
      '2026-11-28  +10 — credits granted',
    ]);
    const ru = renderReply(t, 'ru', { type: 'balance' }, facts).text;
    expect(ru).toContain('30.11.2026  −3 — видео по заказу #ABCDEF12');
    expect(renderReply(t, 'en', { type: 'balance' }, { ...facts, ledger: null }).text).toContain(t('en', 'ledgerUnavailable'));
    expect(renderReply(t, 'en', { type: 'balance' }, { balance: null }).text).toBe(t('en', 'balanceUnavailable'));
  });

  it('/language offers both languages', () => {
    const r = renderReply(t, 'en', { type: 'languageMenu' });
    expect(buttons(r).map((b) => b.data)).toEqual([
      { action: 'language', locale: 'ru' },
      { action: 'language', locale: 'en' },
    ]);
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
    expect(renderAnswer(t, 'ru', { type: 'offerChanged' })).toEqual({ text: t('ru', 'offerChanged'), show_alert: true });
  });
});
