import { InlineKeyboard } from 'grammy';
import { packsCallback, WISHES_MAX_LENGTH, type AspectRatio, type Locale, type TemplateId } from '@neurocards/contracts';
import { encodeCallback } from '../domain/callback-data';
import { STEP_COUNT, STEP_NUMBER, type ButtonAnswer, type Reply } from '../domain/conversation';
import type { OfferedModel } from '../domain/offer';
import type { Draft } from '../domain/session';
import { countOptions } from '../domain/validation';
import type { T, TextKey } from '../i18n';

/** One line of the seller's ledger, as billing lists it (`billing.ledger.list`). */
export interface LedgerLine {
  kind: 'grant' | 'welcome' | 'purchase' | 'capture' | 'release' | 'refund';
  amount: number;
  orderId: string | null;
  at: string;
}

/** Facts a reply needs that the state machine does not hold (looked up by the handler). */
export interface Facts {
  firstName?: string;
  /** Spendable balance; null when billing did not answer. */
  balance?: number | null;
  /** Credits held for orders in progress (for /balance). */
  held?: number | null;
  /** Welcome credits granted by this very /start, if any. */
  bonus?: number | null;
  supportContact?: string | undefined;
  /** The latest ledger lines (for /balance); null when billing did not answer. */
  ledger?: readonly LedgerLine[] | null;
  /**
   * An extra line for the confirmation (e.g. the expected queue wait); the estimate
   * itself is another feature's: the hook only shows a line it is given.
   */
  waitWarning?: string | undefined;
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

const FORMAT_BUTTON: Record<AspectRatio, TextKey> = {
  portrait: 'formatPortrait',
  landscape: 'formatLandscape',
};

const PHOTO_REJECTION_TEXT = {
  not_image: 'photoNotImage',
  too_large: 'photoTooLarge',
  unreadable: 'photoUnreadable',
} as const satisfies Record<string, TextKey>;

const LEDGER_TEXT = {
  grant: 'ledgerGrant',
  welcome: 'ledgerWelcome',
  capture: 'ledgerCapture',
  release: 'ledgerRefund',
  purchase: 'ledgerPurchase',
  refund: 'ledgerStarsRefund',
} as const satisfies Record<LedgerLine['kind'], TextKey>;

/** `2026-11-25T20:00:00.000Z` → `25.11.2026` (ru) / `2026-11-25` (en), UTC. */
export function formatDate(locale: Locale, iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const ymd = d.toISOString().slice(0, 10);
  if (locale === 'en') return ymd;
  const [y, m, day] = ymd.split('-');
  return `${day}.${m}.${y}`;
}

/** Turns a reply intent into a message: text in the chat's locale plus its inline keyboard. */
export function renderReply(t: T, locale: Locale, reply: Reply, facts: Facts = {}): Rendered {
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
    case 'albumNote':
    case 'languageSet':
      return { text: t(locale, reply.type) };
    case 'languageMenu': {
      const kb = new InlineKeyboard()
        .text(t(locale, 'languageRu'), encodeCallback({ action: 'language', locale: 'ru' }))
        .text(t(locale, 'languageEn'), encodeCallback({ action: 'language', locale: 'en' }));
      return { text: t(locale, 'languageMenu'), keyboard: kb };
    }
    case 'balance':
      // Credits are bought from here too (design §1, "Top-ups").
      return {
        text: renderBalance(t, locale, facts),
        keyboard: new InlineKeyboard().text(t(locale, 'buyCreditsButton'), packsCallback()),
      };
    case 'screen':
      return renderScreen(t, locale, reply.draft, reply.offer, facts);
    case 'captionTooLong':
      return { text: t(locale, 'captionTooLong', { length: reply.length, max: WISHES_MAX_LENGTH }) };
    case 'orderSent':
      return { text: t(locale, 'orderSent', { count: reply.count }) };
    case 'photoRejected':
      return { text: t(locale, PHOTO_REJECTION_TEXT[reply.reason]) };
    case 'wishesTooLong':
      return { text: t(locale, 'wishesTooLong', { length: reply.length, max: WISHES_MAX_LENGTH }) };
  }
}

function renderBalance(t: T, locale: Locale, facts: Facts): string {
  if (facts.balance == null) return t(locale, 'balanceUnavailable');
  const lines = [t(locale, 'balanceTitle', { balance: facts.balance })];
  if (facts.held) lines.push(t(locale, 'balanceHeld', { held: facts.held }));
  // No ledger asked for (undefined): the balance alone.
  if (facts.ledger === undefined) return lines.join('\n');
  lines.push('');
  if (facts.ledger === null) lines.push(t(locale, 'ledgerUnavailable'));
  else if (facts.ledger.length === 0) lines.push(t(locale, 'ledgerEmpty'));
  else {
    lines.push(t(locale, 'ledgerTitle'));
    for (const l of facts.ledger) {
      const order = l.orderId ? l.orderId.slice(0, 8).toUpperCase() : '';
      const amount = l.kind === 'release' ? `+${l.amount}` : l.amount;
      lines.push(t(locale, LEDGER_TEXT[l.kind], { date: formatDate(locale, l.at), amount, order }));
    }
  }
  return lines.join('\n');
}

/** The draft's message at its step: indicator, the step's text, its choices, Back and Cancel. */
function renderScreen(t: T, locale: Locale, d: Draft, offer: readonly OfferedModel[], facts: Facts): Rendered {
  const tpl = (id: TemplateId) => t(locale, TEMPLATE_TEXT[id]);
  const head = t(locale, 'stepIndicator', { step: STEP_NUMBER[d.step], total: STEP_COUNT });
  const kb = new InlineKeyboard();
  const nav = () => {
    kb.row();
    if (d.step !== 'template') kb.text(t(locale, 'back'), encodeCallback({ action: 'back', draftId: d.id }));
    kb.text(t(locale, 'cancel'), encodeCallback({ action: 'cancel', draftId: d.id }));
  };
  const lines = [head];
  switch (d.step) {
    case 'template': {
      lines.push(t(locale, 'askTemplate'));
      if (d.fromCaption && d.wishes) lines.push('', t(locale, 'captionWishes', { wishes: d.wishes }));
      for (const id of ['ugc', 'ad', 'custom'] as const) {
        kb.text(tpl(id), encodeCallback({ action: 'template', draftId: d.id, template: id }));
      }
      break;
    }
    case 'wishes': {
      const template = d.template ?? 'ugc';
      const params = { template: tpl(template), max: WISHES_MAX_LENGTH };
      if (template === 'custom') lines.push(t(locale, 'askWishesRequired', params));
      else {
        lines.push(t(locale, 'askWishesOptional', params));
        kb.text(t(locale, 'skip'), encodeCallback({ action: 'skip', draftId: d.id }));
      }
      break;
    }
    case 'video': {
      const spec = d.spec!;
      const model = offer.find((m) => m.id === spec.model);
      lines.push(
        t(locale, 'askVideo', {
          model: d.modelLabel ?? spec.model,
          price: d.creditsPerVideo ?? 0,
          orientation: t(locale, ORIENTATION_TEXT[spec.aspectRatio]),
          duration: spec.duration,
        }),
      );
      const mark = (on: boolean, label: string) => (on ? t(locale, 'selected', { label }) : label);
      offer.forEach((m, index) => {
        const label = t(locale, 'modelButton', { model: m.label, price: m.creditsPerVideo });
        kb.text(mark(m.id === spec.model, label), encodeCallback({ action: 'model', draftId: d.id, index })).row();
      });
      // Format and length buttons only where the model offers a choice.
      if (model && model.aspectRatios.length > 1) {
        for (const ar of model.aspectRatios) {
          const label = mark(ar === spec.aspectRatio, t(locale, FORMAT_BUTTON[ar]));
          kb.text(label, encodeCallback({ action: 'format', draftId: d.id, aspectRatio: ar }));
        }
        kb.row();
      }
      if (model && model.durations.length > 1) {
        for (const seconds of model.durations) {
          const label = mark(seconds === spec.duration, t(locale, 'lengthButton', { duration: seconds }));
          kb.text(label, encodeCallback({ action: 'length', draftId: d.id, seconds }));
        }
        kb.row();
      }
      kb.text(t(locale, 'next'), encodeCallback({ action: 'next', draftId: d.id }));
      break;
    }
    case 'count': {
      const price = d.creditsPerVideo ?? 0;
      for (const { count, enabled } of countOptions(facts.balance ?? null, price)) {
        const action = enabled ? 'count' : 'locked';
        kb.text(
          t(locale, enabled ? 'countButton' : 'countLocked', { count }),
          encodeCallback({ action, draftId: d.id, count }),
        );
      }
      lines.push(
        facts.balance == null
          ? t(locale, 'askCountUnknownBalance', { price })
          : t(locale, 'askCount', { balance: facts.balance, price }),
      );
      break;
    }
    case 'confirm': {
      const spec = d.spec!;
      const count = d.count ?? 1;
      const price = d.creditsPerVideo ?? 0;
      lines.push(
        t(locale, 'summary', {
          template: tpl(d.template ?? 'ugc'),
          wishes: d.wishes ?? t(locale, 'noWishes'),
          count,
          model: d.modelLabel ?? spec.model,
          orientation: t(locale, ORIENTATION_TEXT[spec.aspectRatio]),
          duration: spec.duration,
          total: count * price,
          price,
        }),
      );
      if (facts.waitWarning) lines.push('', facts.waitWarning);
      kb.text(t(locale, 'confirm'), encodeCallback({ action: 'confirm', draftId: d.id }));
      break;
    }
  }
  nav();
  return { text: lines.join('\n'), keyboard: kb };
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
    case 'offerChanged':
      return { text: t(locale, 'offerChanged'), show_alert: true };
    case 'locked':
      return { text: t(locale, 'countLockedAlert', { count: a.count, total: a.total }), show_alert: true };
  }
}
