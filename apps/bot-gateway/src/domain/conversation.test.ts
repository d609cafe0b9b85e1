import { describe, expect, it } from 'vitest';
import {
  catalog,
  WISHES_MAX_LENGTH,
  type PhotoRef,
  type TemplateId,
  type VideoCount,
} from '@neurocards/contracts';
import type { CallbackData } from './callback-data';
import { transition, type Chat, type Input, type Outcome } from './conversation';
import { offeredModel } from '../../test/support';
import type { OfferedModel } from './offer';
import { newSession, type Draft, type DraftStep, type Session } from './session';

const kling = offeredModel({ creditsPerVideo: 2 });
const veo = offeredModel({
  id: 'veo3_fast',
  label: 'Veo 3.1 Fast',
  family: 'veo',
  creditsPerVideo: 3,
  durations: [8],
  defaultDuration: 8,
  aspectRatios: ['landscape', 'portrait'],
});
const chat: Chat = { userId: 777, chatId: 777, offer: [kling, veo] };
const klingSpec = { model: 'kling-3.0/video', aspectRatio: 'portrait', duration: 5 } as const;
const photo: PhotoRef = {
  objectKey: 'tg-AQAD1',
  mimeType: 'image/jpeg',
  sizeBytes: 1234,
  fileUniqueId: 'AQAD1',
};
const ids = { draftId: 'd1', orderId: 'order-0001' };
const base = { id: 'd1', orderId: 'order-0001', photo };

const drafts: Record<DraftStep, Draft> = {
  template: { step: 'template', ...base },
  wishes: { step: 'wishes', ...base, template: 'ugc' },
  count: { step: 'count', ...base, template: 'ugc', wishes: 'в руках' },
  confirm: {
    step: 'confirm',
    ...base,
    template: 'ugc',
    wishes: 'в руках',
    count: 3,
    spec: klingSpec,
    creditsPerVideo: 2,
    modelLabel: 'Kling 3.0',
  },
};

const session = (draft: Draft | null, locale: Session['locale'] = 'ru'): Session => ({
  ...newSession(locale),
  draft,
});
const idle = () => session(null);
const at = (step: DraftStep) => session(drafts[step]);
const states: Array<[string, () => Session]> = [
  ['idle', idle],
  ['template', () => at('template')],
  ['wishes', () => at('wishes')],
  ['count', () => at('count')],
  ['confirm', () => at('confirm')],
];

const press = (data: CallbackData | null): Input => ({ kind: 'button', data });
const step = (s: Session, input: Input, offer: readonly OfferedModel[] = chat.offer) =>
  transition(s, input, { ...chat, offer });

/** Bad input: the very same session object, no effect. */
function expectUnchanged(before: Session, out: Outcome) {
  expect(out.session).toBe(before);
  expect(out.effect).toBeUndefined();
}

/** Every button a draft `d1` can have, each valid in exactly one step. */
const allButtons: Array<[CallbackData, DraftStep | null]> = [
  [{ action: 'template', draftId: 'd1', template: 'ugc' }, 'template'],
  [{ action: 'template', draftId: 'd1', template: 'custom' }, 'template'],
  [{ action: 'skip', draftId: 'd1' }, 'wishes'],
  [{ action: 'count', draftId: 'd1', count: 1 }, 'count'],
  [{ action: 'locked', draftId: 'd1', count: 5 }, 'count'],
  [{ action: 'confirm', draftId: 'd1' }, 'confirm'],
  [{ action: 'cancel', draftId: 'd1' }, 'confirm'],
];

describe('happy paths', () => {
  function run(template: TemplateId, wishes: Input | 'skip', count: VideoCount) {
    let s = step(idle(), { kind: 'photo', photo, ...ids });
    expect(s.replies).toEqual([{ type: 'askTemplate', draftId: 'd1' }]);
    s = step(s.session, press({ action: 'template', draftId: 'd1', template }));
    expect(s.answer).toEqual({ type: 'ok' });
    expect(s.replies).toEqual([
      { type: 'askWishes', draftId: 'd1', template, optional: template !== 'custom' },
    ]);
    s = step(s.session, wishes === 'skip' ? press({ action: 'skip', draftId: 'd1' }) : wishes);
    expect(s.replies).toEqual([{ type: 'askCount', draftId: 'd1', creditsPerVideo: 2 }]);
    s = step(s.session, press({ action: 'count', draftId: 'd1', count }));
    expect(s.replies[0]?.type).toBe('summary');
    const confirm = step(s.session, press({ action: 'confirm', draftId: 'd1' }));
    expect(confirm.session.draft).toBeNull();
    expect(confirm.replies).toEqual([{ type: 'orderSent', orderId: 'order-0001', count }]);
    expect(confirm.effect?.type).toBe('placeOrder');
    // The order is valid by the contract, exactly as it will be published.
    expect(catalog['orders.order.placed.v1'].safeParse(confirm.effect!.order).success).toBe(true);
    return confirm;
  }

  it('UGC with skipped wishes', () => {
    const out = run('ugc', 'skip', 1);
    expect(out.effect!.order).toEqual({
      userId: 777,
      chatId: 777,
      locale: 'ru',
      orderId: 'order-0001',
      template: 'ugc',
      wishes: null,
      count: 1,
      photo,
      spec: klingSpec,
      creditsPerVideo: 2,
    });
  });

  it('Ad with wishes (trimmed)', () => {
    const out = run('ad', { kind: 'text', text: '  на белом фоне  ' }, 3);
    expect(out.effect!.order).toMatchObject({ template: 'ad', wishes: 'на белом фоне', count: 3 });
  });

  it('Custom with its required prompt', () => {
    const out = run('custom', { kind: 'text', text: 'Кот играет с товаром' }, 5);
    expect(out.effect!.order).toMatchObject({ template: 'custom', wishes: 'Кот играет с товаром', count: 5 });
  });

  it('carries the session locale into the order', () => {
    const s = session(drafts.confirm, 'en');
    expect(step(s, press({ action: 'confirm', draftId: 'd1' })).effect!.order.locale).toBe('en');
  });

  it('a double confirm places one order: the second press says it is already taken', () => {
    const first = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }));
    expect(first.session.placed).toEqual({ draftId: 'd1', orderId: drafts.confirm.orderId });
    const second = step(first.session, press({ action: 'confirm', draftId: 'd1' }));
    expect(second.answer).toEqual({ type: 'alreadyPlaced' });
    expect(second.effect).toBeUndefined();
    expectUnchanged(first.session, second);
    expect(second.replies).toEqual([]);
  });
});

describe('commands', () => {
  it.each(states)('/start in %s greets and drops any draft', (_, make) => {
    const out = step(make(), { kind: 'command', command: 'start' });
    expect(out.replies).toEqual([{ type: 'welcome' }]);
    expect(out.session.draft).toBeNull();
  });

  it('/start without a draft changes nothing', () => {
    const s = idle();
    expectUnchanged(s, step(s, { kind: 'command', command: 'start' }));
  });

  it.each(states)('/help in %s changes nothing', (_, make) => {
    const s = make();
    const out = step(s, { kind: 'command', command: 'help' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'help' }]);
  });

  it.each(states)('an unknown command in %s answers with help and changes nothing', (_, make) => {
    const s = make();
    const out = step(s, { kind: 'unknownCommand' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'unknownCommand' }]);
  });

  it.each(states.slice(1))('/cancel in %s resets the draft', (_, make) => {
    const out = step(make(), { kind: 'command', command: 'cancel' });
    expect(out.session.draft).toBeNull();
    expect(out.replies).toEqual([{ type: 'cancelled' }]);
  });

  it('/cancel without a draft says there is nothing to cancel', () => {
    const s = idle();
    const out = step(s, { kind: 'command', command: 'cancel' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'nothingToCancel' }]);
  });
});

describe('photos', () => {
  it.each(states)('a new photo in %s starts a new draft', (_, make) => {
    const out = step(make(), { kind: 'photo', photo, draftId: 'd2', orderId: 'order-0002' });
    expect(out.session.draft).toEqual({ step: 'template', id: 'd2', orderId: 'order-0002', photo });
    expect(out.replies).toEqual([{ type: 'askTemplate', draftId: 'd2' }]);
  });

  it('a new photo makes the buttons of the old draft outdated', () => {
    const out = step(at('count'), { kind: 'photo', photo, draftId: 'd2', orderId: 'order-0002' });
    const stale = step(out.session, press({ action: 'count', draftId: 'd1', count: 1 }));
    expect(stale.answer).toEqual({ type: 'outdated' });
    expectUnchanged(out.session, stale);
  });

  for (const reason of ['not_image', 'too_large', 'unreadable'] as const) {
    it.each(states)(`a rejected photo (${reason}) in %s changes nothing`, (_, make) => {
      const s = make();
      const out = step(s, { kind: 'photoRejected', reason });
      expectUnchanged(s, out);
      expect(out.replies).toEqual([{ type: 'photoRejected', reason }]);
    });
  }
});

describe('text and other messages', () => {
  it('text without a draft asks for a photo', () => {
    const s = idle();
    const out = step(s, { kind: 'text', text: 'привет' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'expectPhoto' }]);
  });

  it.each(['template', 'count', 'confirm'] as const)(
    'text where a button is expected (%s) changes nothing',
    (st) => {
      const s = at(st);
      const out = step(s, { kind: 'text', text: '3' });
      expectUnchanged(s, out);
      expect(out.replies).toEqual([{ type: 'useButtons' }]);
    },
  );

  it('a sticker/voice/video without a draft asks for a photo', () => {
    const s = idle();
    const out = step(s, { kind: 'otherMessage' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'expectPhoto' }]);
  });

  it('a sticker instead of wishes asks for text', () => {
    const s = at('wishes');
    const out = step(s, { kind: 'otherMessage' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'wishesNotText' }]);
  });

  it.each(['template', 'count', 'confirm'] as const)(
    'a sticker where a button is expected (%s) changes nothing',
    (st) => {
      const s = at(st);
      const out = step(s, { kind: 'otherMessage' });
      expectUnchanged(s, out);
      expect(out.replies).toEqual([{ type: 'useButtons' }]);
    },
  );

  it('overlong wishes are refused with their length', () => {
    const s = at('wishes');
    const out = step(s, { kind: 'text', text: 'я'.repeat(WISHES_MAX_LENGTH + 1) });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'wishesTooLong', length: WISHES_MAX_LENGTH + 1 }]);
  });

  it('wishes of exactly the maximum length are accepted', () => {
    const out = step(at('wishes'), { kind: 'text', text: 'я'.repeat(WISHES_MAX_LENGTH) });
    expect(out.session.draft).toMatchObject({ step: 'count', wishes: 'я'.repeat(WISHES_MAX_LENGTH) });
  });

  it('blank wishes are refused', () => {
    const s = session({ ...drafts.wishes, template: 'custom' } as Draft);
    const out = step(s, { kind: 'text', text: '   \n ' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'wishesRequired' }]);
  });
});

describe('buttons', () => {
  it.each(states)('an unparseable button in %s is outdated', (_, make) => {
    const s = make();
    const out = step(s, press(null));
    expectUnchanged(s, out);
    expect(out.answer).toEqual({ type: 'outdated' });
    expect(out.replies).toEqual([]);
  });

  it.each(states)('a button of another draft in %s is outdated', (_, make) => {
    for (const [data] of allButtons) {
      const s = make();
      const out = step(s, press({ ...data, draftId: 'old' }));
      expectUnchanged(s, out);
      expect(out.answer).toEqual({ type: 'outdated' });
    }
  });

  for (const [st] of states.slice(1)) {
    it(`buttons of a different step are outdated in ${st}`, () => {
      for (const [data, validIn] of allButtons) {
        if (validIn === st) continue;
        const s = at(st as DraftStep);
        const out = step(s, press(data));
        expectUnchanged(s, out);
        expect(out.answer, JSON.stringify(data)).toEqual({ type: 'outdated' });
      }
    });
  }

  it('Custom has no Skip: a skip press is outdated', () => {
    const s = session({ ...drafts.wishes, template: 'custom' } as Draft);
    const out = step(s, press({ action: 'skip', draftId: 'd1' }));
    expectUnchanged(s, out);
    expect(out.answer).toEqual({ type: 'outdated' });
  });

  it('a locked count explains and changes nothing', () => {
    const s = at('count');
    const out = step(s, press({ action: 'locked', draftId: 'd1', count: 5 }));
    expectUnchanged(s, out);
    expect(out.answer).toEqual({ type: 'locked', count: 5, total: 10 });
    expect(out.replies).toEqual([]);
  });

  it('Cancel on the summary drops the draft', () => {
    const out = step(at('confirm'), press({ action: 'cancel', draftId: 'd1' }));
    expect(out.session.draft).toBeNull();
    expect(out.answer).toEqual({ type: 'ok' });
    expect(out.replies).toEqual([{ type: 'cancelled' }]);
    expect(out.effect).toBeUndefined();
  });

  it('a template button pressed twice: the second press is outdated', () => {
    const first = step(at('template'), press({ action: 'template', draftId: 'd1', template: 'ad' }));
    const second = step(first.session, press({ action: 'template', draftId: 'd1', template: 'ugc' }));
    expectUnchanged(first.session, second);
    expect(first.session.draft).toMatchObject({ step: 'wishes', template: 'ad' });
    expect(second.answer).toEqual({ type: 'outdated' });
  });
});

describe('the model offer', () => {
  it('the summary carries the default model (the first offered), portrait, its length and price', () => {
    const out = step(at('count'), press({ action: 'count', draftId: 'd1', count: 3 }));
    expect(out.session.draft).toMatchObject({
      step: 'confirm',
      count: 3,
      spec: klingSpec,
      creditsPerVideo: 2,
      modelLabel: 'Kling 3.0',
    });
    const veoFirst = step(at('count'), press({ action: 'count', draftId: 'd1', count: 1 }), [veo, kling]);
    expect(veoFirst.session.draft).toMatchObject({
      spec: { model: 'veo3_fast', aspectRatio: 'portrait', duration: 8 },
      creditsPerVideo: 3,
    });
  });

  it('nothing on offer: the photo, the count and Confirm are told "temporarily unavailable", no order', () => {
    const cases: Array<[Session, Input]> = [
      [idle(), { kind: 'photo', photo, draftId: 'd2', orderId: 'order-0002' }],
      [at('wishes'), press({ action: 'skip', draftId: 'd1' })],
      [at('wishes'), { kind: 'text', text: 'на столе' }],
      [at('count'), press({ action: 'count', draftId: 'd1', count: 1 })],
      [at('count'), press({ action: 'locked', draftId: 'd1', count: 5 })],
      [at('confirm'), press({ action: 'confirm', draftId: 'd1' })],
    ];
    for (const [s, input] of cases) {
      const out = step(s, input, []);
      expectUnchanged(s, out);
      expect(out.replies, JSON.stringify(input)).toEqual([{ type: 'unavailable' }]);
    }
  });

  it('a model withdrawn before Confirm: no order, a fresh summary with the next model to confirm', () => {
    const out = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }), [veo]);
    expect(out.effect).toBeUndefined();
    expect(out.replies.map((r) => r.type)).toEqual(['offerChanged', 'summary']);
    expect(out.session.draft).toMatchObject({ step: 'confirm', count: 3, spec: { model: 'veo3_fast' }, creditsPerVideo: 3 });
    const again = step(out.session, press({ action: 'confirm', draftId: 'd1' }), [veo]);
    expect(again.effect!.order).toMatchObject({ count: 3, spec: { model: 'veo3_fast', duration: 8 }, creditsPerVideo: 3 });
  });

  it('a price changed before Confirm: the seller confirms the new price first', () => {
    const out = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }), [{ ...kling, creditsPerVideo: 4 }]);
    expect(out.effect).toBeUndefined();
    expect(out.session.draft).toMatchObject({ spec: klingSpec, creditsPerVideo: 4 });
  });

  it('a model that is still offered, though no longer first, is ordered as summarised', () => {
    const out = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }), [veo, kling]);
    expect(out.effect!.order).toMatchObject({ spec: klingSpec, creditsPerVideo: 2 });
  });
});
