import { InlineKeyboard } from 'grammy';
import { WISHES_MAX_LENGTH, type AspectRatio, type Locale, type TemplateId } from '@neurocards/contracts';
import { encodeCallback } from '../domain/callback-data';
import type { ButtonAnswer, Reply } from '../domain/conversation';
import { countOptions } from '../domain/validation';
import type { T, TextKey } from '../i18n';

/** Facts a reply needs that the state machine does not hold (looked up by the handler). */
export interface Facts {
  firstName?: string;
  /** Spendable balance; null when billing did not answer. */
  balance?: number | null;
  /** Welcome credits granted by this very /start, if any. */
  bonus?: number | null;
  supportContact?: string | undefined;
  /** The confirmation's queue line (wait-warning.ts), when the wait is long. */
  waitWarning?: string | null;
}

export interface Rendered {
  text: string;
  keyboard?: InlineKeyboard;
}

const TEMPLATE_TEXT: Record<TemplateId, TextKey> = {
  ugc: 'templateUgc',
  ad: 'templateAd',
  custom: 'templateCustom',
};

const ORIENTATION_TEXT: Record<AspectRatio, TextKey> = {
  portrait: 'orientationPortrait',
  landscape: 'orientationLandscape',
};

const PHOTO_REJECTION_TEXT = {
  not_image: 'photoNotImage',
  too_large: 'photoTooLarge',
  unreadable: 'photoUnreadable',
} as const satisfies Record<string, TextKey>;

/** Turns a reply intent into a message: text in the chat's locale plus its inline keyboard. */
export function renderReply(t: T, locale: Locale, reply: Reply, facts: Facts = {}): Rendered {
  const tpl = (id: TemplateId) => t(locale, TEMPLATE_TEXT[id]);
  const balanceLine = () =>
    facts.balance == null
      ? t(locale, 'balanceUnavailable')
      : t(locale, 'balanceLine', { balance: facts.balance });
  switch (reply.type) {
    case 'welcome': {
      const lines = [t(locale, 'welcome', { name: facts.firstName ?? '' })];
      if (facts.bonus) lines.push(t(locale, 'welcomeBonus', { amount: facts.bonus }));
      lines.push(balanceLine(), '', t(locale, 'howTo'));
      return { text: lines.join('\n') };
    }
    case 'help':
    case 'unknownCommand': {
      const lines = reply.type === 'unknownCommand' ? [t(locale, 'unknownCommand'), ''] : [];
      lines.push(t(locale, 'help'));
      if (facts.supportContact) lines.push('', t(locale, 'supportLine', { contact: facts.supportContact }));
      return { text: lines.join('\n') };
    }
    case 'cancelled':
    case 'nothingToCancel':
    case 'expectPhoto':
    case 'useButtons':
    case 'wishesRequired':
    case 'wishesNotText':
    case 'unavailable':
    case 'offerChanged':
      return { text: t(locale, reply.type) };
    case 'askTemplate': {
      const kb = new InlineKeyboard();
      for (const id of ['ugc', 'ad', 'custom'] as const) {
        kb.text(tpl(id), encodeCallback({ action: 'template', draftId: reply.draftId, template: id }));
      }
      return { text: t(locale, 'askTemplate'), keyboard: kb };
    }
    case 'askWishes': {
      const params = { template: tpl(reply.template), max: WISHES_MAX_LENGTH };
      if (!reply.optional) return { text: t(locale, 'askWishesRequired', params) };
      const kb = new InlineKeyboard().text(
        t(locale, 'skip'),
        encodeCallback({ action: 'skip', draftId: reply.draftId }),
      );
      return { text: t(locale, 'askWishesOptional', params), keyboard: kb };
    }
    case 'askCount': {
      const kb = new InlineKeyboard();
      for (const { count, enabled } of countOptions(facts.balance ?? null, reply.creditsPerVideo)) {
        const action = enabled ? 'count' : 'locked';
        kb.text(
          t(locale, enabled ? 'countButton' : 'countLocked', { count }),
          encodeCallback({ action, draftId: reply.draftId, count }),
        );
      }
      const price = reply.creditsPerVideo;
      const text =
        facts.balance == null
          ? t(locale, 'askCountUnknownBalance', { price })
          : t(locale, 'askCount', { balance: facts.balance, price });
      return { text, keyboard: kb };
    }
    case 'summary': {
      const d = reply.draft;
      const text = t(locale, 'summary', {
        template: tpl(d.template),
        wishes: d.wishes ?? t(locale, 'noWishes'),
        count: d.count,
        model: d.modelLabel,
        orientation: t(locale, ORIENTATION_TEXT[d.spec.aspectRatio]),
        duration: d.spec.duration,
        total: d.count * d.creditsPerVideo,
      });
      const withWait = facts.waitWarning ? `${text}\n\n${facts.waitWarning}` : text;
      const kb = new InlineKeyboard()
        .text(t(locale, 'confirm'), encodeCallback({ action: 'confirm', draftId: d.id }))
        .text(t(locale, 'cancel'), encodeCallback({ action: 'cancel', draftId: d.id }));
      return { text: withWait, keyboard: kb };
    }
    case 'orderSent':
      return { text: t(locale, 'orderSent', { count: reply.count }) };
    case 'photoRejected':
      return { text: t(locale, PHOTO_REJECTION_TEXT[reply.reason]) };
    case 'wishesTooLong':
      return { text: t(locale, 'wishesTooLong', { length: reply.length, max: WISHES_MAX_LENGTH }) };
  }
}

/** The answer to a pressed button: nothing for an accepted one, an explanation otherwise. */
export function renderAnswer(t: T, locale: Locale, a: ButtonAnswer): { text?: string; show_alert?: boolean } {
  switch (a.type) {
    case 'ok':
      return {};
    case 'outdated':
      return { text: t(locale, 'buttonOutdated') };
    case 'alreadyPlaced':
      return { text: t(locale, 'orderAlreadyTaken') };
    case 'locked':
      return { text: t(locale, 'countLockedAlert', { count: a.count, total: a.total }), show_alert: true };
  }
}
