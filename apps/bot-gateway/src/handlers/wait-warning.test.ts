import { describe, expect, it } from 'vitest';
import { t } from '../i18n';
import { renderReply } from './render';
import { confirmWaitLine, DEFAULT_QUEUE_WARN_AFTER_MS, waitWarning } from './wait-warning';

const estimate = (waitSeconds: number | null) => ({ position: 40, waitSeconds, lastWaitSeconds: waitSeconds, waiting: 3 });

describe('waitWarning', () => {
  it.each([
    ['dispatcher did not answer', null, 'en', null],
    ['short wait', estimate(19 * 60), 'en', null],
    ['exactly the threshold', estimate(20 * 60), 'en', null],
    ['long wait, minutes rounded up', estimate(20 * 60 + 1), 'en', 'ready in about 21 min'],
    ['long wait in Russian', estimate(45 * 60), 'ru', 'примерно через 45 мин'],
    ['no key can take work', estimate(null), 'en', 'wait is unknown'],
    ['no key can take work in Russian', estimate(null), 'ru', 'время ожидания неизвестно'],
  ] as const)('%s', (_name, est, locale, expected) => {
    const line = waitWarning(t, locale, est, DEFAULT_QUEUE_WARN_AFTER_MS);
    if (expected === null) expect(line).toBeNull();
    else expect(line).toContain(expected);
  });

  it('asks the dispatcher about this seller’s order as it would be confirmed', async () => {
    const asked: unknown[] = [];
    const queue = {
      estimate: async (req: unknown) => {
        asked.push(req);
        return estimate(3600);
      },
    };
    const line = await confirmWaitLine({ queue, t, warnAfterMs: 60_000 }, 'en', { seller: 7, model: 'veo3_fast', count: 3 });
    expect(line).toContain('60 min');
    expect(asked).toEqual([{ seller: 7, model: 'veo3_fast', count: 3 }]);
  });
});

describe('the confirmation with a long wait', () => {
  it('carries the line under the summary, keeping its buttons', () => {
    const draft = {
      step: 'confirm' as const,
      id: 'd',
      orderId: 'order-1234',
      photo: { objectKey: 'k', mimeType: 'image/png' as const, sizeBytes: 1, fileUniqueId: 'u' },
      template: 'ad' as const,
      wishes: null,
      count: 3 as const,
      spec: { model: 'veo3_fast', aspectRatio: 'portrait' as const, duration: 8 },
      creditsPerVideo: 1,
      modelLabel: 'Veo 3.1 Fast',
    };
    const line = waitWarning(t, 'en', estimate(3000), DEFAULT_QUEUE_WARN_AFTER_MS)!;
    const r = renderReply(t, 'en', { type: 'screen', draft, offer: [] }, { waitWarning: line });
    expect(r.text).toContain('Credits to be charged: 3');
    expect(r.text.endsWith(line)).toBe(true);
    expect(r.keyboard!.inline_keyboard.flat()).toHaveLength(3); // Confirm, Back, Cancel
    expect(renderReply(t, 'en', { type: 'screen', draft, offer: [] }).text).not.toContain('queue');
  });
});
