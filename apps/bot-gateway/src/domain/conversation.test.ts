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

const chosen = { spec: klingSpec, creditsPerVideo: 2, modelLabel: 'Kling 3.0' } as const;
const drafts: Record<DraftStep, Draft> = {
  template: { step: 'template', ...base },
  wishes: { step: 'wishes', ...base, template: 'ugc' },
  video: { step: 'video', ...base, template: 'ugc', wishes: 'в руках', ...chosen },
  count: { step: 'count', ...base, template: 'ugc', wishes: 'в руках', ...chosen },
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
  ['video', () => at('video')],
  ['count', () => at('count')],
  ['confirm', () => at('confirm')],
];

const press = (data: CallbackData | null): Input => ({ kind: 'button', data });
/** The order an outcome publishes (fails the test when it publishes none). */
const orderOf = (o: Outcome) => {
  if (o.effect?.type !== 'placeOrder') throw new Error(`expected an order, got ${JSON.stringify(o.effect)}`);
  return o.effect.order;
};
const step = (s: Session, input: Input, offer: readonly OfferedModel[] = chat.offer) =>
  transition(s, input, { ...chat, offer });

/** Bad input: the very same session object, no effect. */
function expectUnchanged(before: Session, out: Outcome) {
  expect(out.session).toBe(before);
  expect(out.effect).toBeUndefined();
}

/** Every button a draft `d1` can have, each valid in exactly one step. */
const allButtons: Array<[Exclude<CallbackData, { action: 'language' }>, DraftStep | null]> = [
  [{ action: 'template', draftId: 'd1', template: 'ugc' }, 'template'],
  [{ action: 'template', draftId: 'd1', template: 'custom' }, 'template'],
  [{ action: 'skip', draftId: 'd1' }, 'wishes'],
  [{ action: 'model', draftId: 'd1', index: 1 }, 'video'],
  [{ action: 'format', draftId: 'd1', aspectRatio: 'landscape' }, 'video'],
  [{ action: 'length', draftId: 'd1', seconds: 10 }, 'video'],
  [{ action: 'next', draftId: 'd1' }, 'video'],
  [{ action: 'count', draftId: 'd1', count: 1 }, 'count'],
  [{ action: 'locked', draftId: 'd1', count: 5 }, 'count'],
  [{ action: 'confirm', draftId: 'd1' }, 'confirm'],
];
const screenOf = (o: Outcome) => (o.replies[0]?.type === 'screen' ? o.replies[0].draft : undefined);

describe('happy paths', () => {
  function run(template: TemplateId, wishes: Input | 'skip', count: VideoCount) {
    let s = step(idle(), { kind: 'photo', photo, ...ids });
    expect(screenOf(s)).toMatchObject({ step: 'template', id: 'd1' });
    s = step(s.session, press({ action: 'template', draftId: 'd1', template }));
    expect(s.answer).toEqual({ type: 'ok' });
    expect(screenOf(s)).toMatchObject({ step: 'wishes', template });
    s = step(s.session, wishes === 'skip' ? press({ action: 'skip', draftId: 'd1' }) : wishes);
    // The video step comes with the default model, portrait and its default length pre-selected.
    expect(screenOf(s)).toMatchObject({ step: 'video', ...chosen });
    s = step(s.session, press({ action: 'next', draftId: 'd1' }));
    expect(screenOf(s)).toMatchObject({ step: 'count', creditsPerVideo: 2 });
    s = step(s.session, press({ action: 'count', draftId: 'd1', count }));
    expect(screenOf(s)).toMatchObject({ step: 'confirm', count });
    const confirm = step(s.session, press({ action: 'confirm', draftId: 'd1' }));
    expect(confirm.session.draft).toBeNull();
    expect(confirm.replies).toEqual([{ type: 'orderSent', orderId: 'order-0001', count }]);
    expect(confirm.effect?.type).toBe('placeOrder');
    // The order is valid by the contract, exactly as it will be published.
    expect(catalog['orders.order.placed.v1'].safeParse(orderOf(confirm)).success).toBe(true);
    return confirm;
  }

  it('UGC with skipped wishes', () => {
    const out = run('ugc', 'skip', 1);
    expect(orderOf(out)).toEqual({
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
    expect(orderOf(out)).toMatchObject({ template: 'ad', wishes: 'на белом фоне', count: 3 });
  });

  it('Custom with its required prompt', () => {
    const out = run('custom', { kind: 'text', text: 'Кот играет с товаром' }, 5);
    expect(orderOf(out)).toMatchObject({ template: 'custom', wishes: 'Кот играет с товаром', count: 5 });
  });

  it('carries the session locale into the order', () => {
    const s = session(drafts.confirm, 'en');
    expect(orderOf(step(s, press({ action: 'confirm', draftId: 'd1' }))).locale).toBe('en');
  });

  it('a double confirm places one order: the second press says it is already taken', () => {
    const first = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }));
    expect(first.session.placed).toEqual({ draftId: 'd1', orderId: drafts.confirm.orderId, draft: drafts.confirm });
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
    expect(out.replies).toEqual([{ type: 'screen', draft: out.session.draft, offer: chat.offer }]);
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

  it.each(['template', 'video', 'count', 'confirm'] as const)(
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

  it.each(['template', 'video', 'count', 'confirm'] as const)(
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
    expect(out.session.draft).toMatchObject({ step: 'video', wishes: 'я'.repeat(WISHES_MAX_LENGTH) });
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
      const out = step(s, press({ ...data, draftId: 'old' } as CallbackData));
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

  it('"Continue the order" after a top-up goes to the confirmation with the locked count', () => {
    for (const from of ['count', 'confirm'] as const) {
      const out = step(at(from), press({ action: 'continue', draftId: 'd1', count: 5 }));
      expect(out.answer).toEqual({ type: 'ok' });
      expect(screenOf(out)).toMatchObject({ step: 'confirm', count: 5, photo, ...chosen });
      expect(out.session.draft).toMatchObject({ step: 'confirm', count: 5, orderId: 'order-0001' });
    }
    // Another draft's receipt, or a draft no longer at the count or confirmation: outdated.
    expect(step(at('count'), press({ action: 'continue', draftId: 'other', count: 1 })).answer).toEqual({ type: 'outdated' });
    expect(step(at('video'), press({ action: 'continue', draftId: 'd1', count: 1 })).answer).toEqual({ type: 'outdated' });
    // Repriced meanwhile: back to the video step with the price as it is now.
    const repriced: Chat = { ...chat, offer: [{ ...kling, creditsPerVideo: 4 }, veo] };
    expect(transition(at('count'), press({ action: 'continue', draftId: 'd1', count: 1 }), repriced).answer).toEqual({
      type: 'offerChanged',
    });
  });

  it.each(states.slice(1))('Cancel in %s drops the draft', (_, make) => {
    const out = step(make(), press({ action: 'cancel', draftId: 'd1' }));
    expect(out.session.draft).toBeNull();
    expect(out.answer).toEqual({ type: 'ok' });
    expect(out.replies).toEqual([{ type: 'cancelled' }]);
    expect(out.effect).toBeUndefined();
  });

  it.each([
    ['wishes', 'template'],
    ['video', 'wishes'],
    ['count', 'video'],
    ['confirm', 'count'],
  ] as const)('Back in %s returns to %s, keeping the choices made', (from, to) => {
    const out = step(at(from), press({ action: 'back', draftId: 'd1' }));
    expect(out.answer).toEqual({ type: 'ok' });
    expect(out.session.draft).toMatchObject({ step: to, template: 'ugc' });
    expect(screenOf(out)?.step).toBe(to);
    if (to === 'video' || to === 'count') expect(out.session.draft).toMatchObject(chosen);
  });

  it('the first step has no Back: a back press there is outdated', () => {
    const s = at('template');
    const out = step(s, press({ action: 'back', draftId: 'd1' }));
    expectUnchanged(s, out);
    expect(out.answer).toEqual({ type: 'outdated' });
  });

  it('Back from the video step of a captioned photo skips the wishes step', () => {
    const s = session({ ...drafts.video, fromCaption: true });
    expect(step(s, press({ action: 'back', draftId: 'd1' })).session.draft?.step).toBe('template');
  });

  it('a template button pressed twice: the second press is outdated', () => {
    const first = step(at('template'), press({ action: 'template', draftId: 'd1', template: 'ad' }));
    const second = step(first.session, press({ action: 'template', draftId: 'd1', template: 'ugc' }));
    expectUnchanged(first.session, second);
    expect(first.session.draft).toMatchObject({ step: 'wishes', template: 'ad' });
    expect(second.answer).toEqual({ type: 'outdated' });
  });
});

describe('the video choices (quality, format, length)', () => {
  it('each model with its price: the hold asked for is the model price × count', () => {
    for (const [index, model] of [kling, veo].entries()) {
      let out = step(at('video'), press({ action: 'model', draftId: 'd1', index }));
      out = step(out.session, press({ action: 'next', draftId: 'd1' }));
      out = step(out.session, press({ action: 'count', draftId: 'd1', count: 3 }));
      const placed = step(out.session, press({ action: 'confirm', draftId: 'd1' }));
      expect(orderOf(placed)).toMatchObject({ spec: { model: model.id }, creditsPerVideo: model.creditsPerVideo, count: 3 });
    }
  });

  it('format and length: the chosen ones reach the order', () => {
    let out = step(at('video'), press({ action: 'format', draftId: 'd1', aspectRatio: 'landscape' }));
    expect(out.session.draft?.spec).toEqual({ ...klingSpec, aspectRatio: 'landscape' });
    out = step(out.session, press({ action: 'length', draftId: 'd1', seconds: 10 }));
    expect(screenOf(out)?.spec).toEqual({ model: klingSpec.model, aspectRatio: 'landscape', duration: 10 });
    out = step(out.session, press({ action: 'next', draftId: 'd1' }));
    out = step(out.session, press({ action: 'count', draftId: 'd1', count: 1 }));
    expect(orderOf(step(out.session, press({ action: 'confirm', draftId: 'd1' }))).spec).toEqual({
      model: klingSpec.model,
      aspectRatio: 'landscape',
      duration: 10,
    });
  });

  it('switching model keeps the format it can make and takes its own length otherwise', () => {
    const land = session({ ...drafts.video, spec: { ...klingSpec, aspectRatio: 'landscape', duration: 10 } });
    const out = step(land, press({ action: 'model', draftId: 'd1', index: 1 }));
    expect(out.session.draft).toMatchObject({
      spec: { model: 'veo3_fast', aspectRatio: 'landscape', duration: 8 },
      creditsPerVideo: 3,
      modelLabel: 'Veo 3.1 Fast',
    });
  });

  it('a choice the model does not offer, or a model index out of range, is outdated', () => {
    const veoDraft = session({ ...drafts.video, spec: { model: 'veo3_fast', aspectRatio: 'portrait', duration: 8 } });
    for (const [s, data] of [
      [veoDraft, { action: 'length', draftId: 'd1', seconds: 10 }],
      [at('video'), { action: 'model', draftId: 'd1', index: 7 }],
    ] as Array<[Session, CallbackData]>) {
      const out = step(s, press(data));
      expectUnchanged(s, out);
      expect(out.answer).toEqual({ type: 'outdated' });
    }
  });

  it('pressing the selected choice again changes nothing', () => {
    const s = at('video');
    const out = step(s, press({ action: 'format', draftId: 'd1', aspectRatio: 'portrait' }));
    expectUnchanged(s, out);
    expect(out.answer).toEqual({ type: 'ok' });
    expect(out.replies).toEqual([]);
  });

  it('the locked count explains with the chosen model\'s price', () => {
    const s = session({ ...drafts.count, creditsPerVideo: 3 });
    expect(step(s, press({ action: 'locked', draftId: 'd1', count: 5 })).answer).toEqual({ type: 'locked', count: 5, total: 15 });
  });
});

describe('captions and albums', () => {
  it('a caption becomes the wishes: the wishes step is skipped', () => {
    let out = step(idle(), { kind: 'photo', photo, ...ids, caption: '  на белом фоне ' });
    expect(out.session.draft).toMatchObject({ step: 'template', wishes: 'на белом фоне', fromCaption: true });
    out = step(out.session, press({ action: 'template', draftId: 'd1', template: 'custom' }));
    expect(screenOf(out)).toMatchObject({ step: 'video', wishes: 'на белом фоне' });
  });

  it('an overlong caption is said to be so and the wishes are asked for later', () => {
    const out = step(idle(), { kind: 'photo', photo, ...ids, caption: 'я'.repeat(WISHES_MAX_LENGTH + 1) });
    expect(out.replies.map((r) => r.type)).toEqual(['screen', 'captionTooLong']);
    expect(out.session.draft?.wishes).toBeUndefined();
  });

  it('an album makes one draft, told once; its other photos change nothing', () => {
    const first = step(idle(), { kind: 'photo', photo, ...ids, mediaGroupId: 'g1' });
    expect(first.replies.map((r) => r.type)).toEqual(['screen', 'albumNote']);
    expect(first.session.albums).toEqual(['g1']);
    // The second photo, decided again after losing the race to save (or arriving later).
    const second = step(first.session, { kind: 'photo', photo, draftId: 'd2', orderId: 'order-0002', mediaGroupId: 'g1' });
    expectUnchanged(first.session, second);
    expect(second.replies).toEqual([]);
    const third = step(first.session, { kind: 'albumPhoto', mediaGroupId: 'g1' });
    expectUnchanged(first.session, third);
  });
});

describe('the buttons under a video and the summary', () => {
  const placedSession = () => step(at('confirm'), press({ action: 'confirm', draftId: 'd1' })).session;
  const again = (button: 'more' | 'template', orderKey = 'order-0001') =>
    ({ kind: 'button', data: { action: 'orderAgain', orderKey, button }, ids: { draftId: 'd3', orderId: 'order-0003' } }) as Input;

  it('"More videos of this photo": a new draft with the same photo and choices, straight to the confirmation', () => {
    const out = step(placedSession(), again('more'));
    expect(out.answer).toEqual({ type: 'ok' });
    expect(out.session.draft).toEqual({ ...drafts.confirm, id: 'd3', orderId: 'order-0003' });
    expect(screenOf(out)?.step).toBe('confirm');
    // Confirming it places a new order.
    expect(orderOf(step(out.session, press({ action: 'confirm', draftId: 'd3' })))).toMatchObject({
      orderId: 'order-0003',
      photo,
      spec: klingSpec,
      count: 3,
    });
  });

  it('"Another template": the same photo at the template step, the video choices kept', () => {
    const out = step(placedSession(), again('template'));
    expect(out.session.draft).toEqual({ step: 'template', id: 'd3', orderId: 'order-0003', photo, ...chosen });
  });

  it('the model repriced since: back to the video step to see the new price', () => {
    const out = step(placedSession(), again('more'), [{ ...kling, creditsPerVideo: 5 }]);
    expect(out.answer).toEqual({ type: 'offerChanged' });
    expect(out.session.draft).toMatchObject({ step: 'video', creditsPerVideo: 5 });
  });

  it('a button of an older order is outdated and changes nothing', () => {
    const s = placedSession();
    const out = step(s, again('more', 'order-9999'));
    expectUnchanged(s, out);
    expect(out.answer).toEqual({ type: 'outdated' });
  });
});

describe('language', () => {
  it('/language offers the choice; a choice is stored and marked as chosen', () => {
    const s = idle();
    expect(step(s, { kind: 'command', command: 'language' }).replies).toEqual([{ type: 'languageMenu' }]);
    const out = step(s, press({ action: 'language', locale: 'en' }));
    expect(out.session).toMatchObject({ locale: 'en', localeChosen: true });
    expect(out.replies).toEqual([{ type: 'languageSet' }]);
    // The choice is told to the notifier (admin alerts in the admin's language).
    expect(out.effect).toEqual({ type: 'languageSet', userId: chat.userId, chatId: chat.chatId, locale: 'en' });
    // An order placed later carries it.
    const s2 = { ...out.session, draft: drafts.confirm };
    expect(orderOf(step(s2, press({ action: 'confirm', draftId: 'd1' }))).locale).toBe('en');
  });

  it('/balance answers with the balance and changes nothing', () => {
    const s = at('count');
    const out = step(s, { kind: 'command', command: 'balance' });
    expectUnchanged(s, out);
    expect(out.replies).toEqual([{ type: 'balance' }]);
  });
});

describe('the model offer', () => {
  it('the video step pre-selects the default model (the first offered), portrait, its length and price', () => {
    const out = step(at('wishes'), press({ action: 'skip', draftId: 'd1' }));
    expect(out.session.draft).toMatchObject({ step: 'video', ...chosen });
    const veoFirst = step(at('wishes'), press({ action: 'skip', draftId: 'd1' }), [veo, kling]);
    expect(veoFirst.session.draft).toMatchObject({
      spec: { model: 'veo3_fast', aspectRatio: 'portrait', duration: 8 },
      creditsPerVideo: 3,
    });
  });

  it('nothing on offer: the photo and the steps that need a model are told "temporarily unavailable", no order', () => {
    const cases: Array<[Session, Input]> = [
      [idle(), { kind: 'photo', photo, draftId: 'd2', orderId: 'order-0002' }],
      [at('wishes'), press({ action: 'skip', draftId: 'd1' })],
      [at('wishes'), { kind: 'text', text: 'на столе' }],
      [at('video'), press({ action: 'next', draftId: 'd1' })],
      [at('count'), press({ action: 'count', draftId: 'd1', count: 1 })],
      [at('confirm'), press({ action: 'confirm', draftId: 'd1' })],
    ];
    for (const [s, input] of cases) {
      const out = step(s, input, []);
      expectUnchanged(s, out);
      expect(out.replies, JSON.stringify(input)).toEqual([{ type: 'unavailable' }]);
    }
  });

  it('a model withdrawn before Confirm: no order, back to the video step with the next model', () => {
    const out = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }), [veo]);
    expect(out.effect).toBeUndefined();
    expect(out.answer).toEqual({ type: 'offerChanged' });
    expect(out.session.draft).toMatchObject({ step: 'video', spec: { model: 'veo3_fast' }, creditsPerVideo: 3 });
  });

  it('a price changed before Confirm: the seller sees the new price before confirming', () => {
    const out = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }), [{ ...kling, creditsPerVideo: 4 }]);
    expect(out.effect).toBeUndefined();
    expect(out.session.draft).toMatchObject({ step: 'video', spec: klingSpec, creditsPerVideo: 4 });
  });

  it('a model that is still offered, though no longer first, is ordered as summarised', () => {
    const out = step(at('confirm'), press({ action: 'confirm', draftId: 'd1' }), [veo, kling]);
    expect(orderOf(out)).toMatchObject({ spec: klingSpec, creditsPerVideo: 2 });
  });
});
