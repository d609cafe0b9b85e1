import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@neurocards/launcher';

/**
 * Recognises the bot's messages by the product's own locale files (Russian and English), so
 * the suite reads a chat the way a person does: by what the message says.
 */
type Locale = Record<string, string>;
const load = (app: string, lang: string): Locale =>
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'apps', app, 'locales', `${lang}.json`), 'utf8')) as Locale;

const LANGS = ['ru', 'en'] as const;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An ICU template as a regex: each `{name}` (no plurals in these templates) captures lazily. */
function templateRegex(template: string): RegExp {
  const parts = template.split(/(\{[a-zA-Z]+\})/);
  const body = parts
    .map((p) => {
      const m = /^\{([a-zA-Z]+)\}$/.exec(p);
      return m ? `(?<${m[1]}>[\\s\\S]*?)` : escape(p);
    })
    .join('');
  return new RegExp(`^${body}$`);
}

function patterns(app: string, keys: readonly string[]): Array<{ key: string; re: RegExp }> {
  const out: Array<{ key: string; re: RegExp }> = [];
  for (const lang of LANGS) {
    const locale = load(app, lang);
    for (const key of keys) if (locale[key] !== undefined) out.push({ key, re: templateRegex(locale[key]) });
  }
  return out;
}

// internalError: the gateway's failure text before `temporaryFailure` replaced it; a missing key is skipped.
const gateway = patterns('bot-gateway', [
  'orderSent',
  'orderAlreadyTaken',
  'temporaryFailure',
  'internalError',
  'buttonOutdated',
]);

/** The gateway's "that did not work, try again" answers. */
export const isGatewayFailure = (text: string | undefined) => {
  const key = gatewayText(text);
  return key === 'temporaryFailure' || key === 'internalError';
};

/** The gateway reply key a text matches (orderSent, orderAlreadyTaken, temporaryFailure, buttonOutdated…). */
export function gatewayText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return gateway.find((p) => p.re.test(text))?.key;
}

/**
 * What the notifier says to sellers, by purpose; keys as in apps/notifier/locales. The order's
 * status message (`orderTaken`, its `{progress}` line included) is one message edited in
 * place: "generation started" is no longer a message of its own.
 */
const NOTIFIER_KEYS = {
  orderTaken: 'order-taken',
  creditsRejected: 'credits-rejected',
  creditsRejectedNoContact: 'credits-rejected',
  creditsGranted: 'credits-granted',
  videoFailedUserViolation: 'video-failed',
  videoFailedBilling: 'video-failed',
  videoFailedBillingNoContact: 'video-failed',
  videoFailedNoResult: 'video-failed',
  videoFailedUndeliverable: 'video-failed',
  orderSummary: 'order-summary',
  orderSummaryNoBalance: 'order-summary',
} as const;
export type NotifierPurpose = (typeof NOTIFIER_KEYS)[keyof typeof NOTIFIER_KEYS] | 'video';

const notifier = patterns('notifier', Object.keys(NOTIFIER_KEYS));

/** A notifier text's purpose and the order number it names, if any. */
export function notifierText(
  text: string | undefined,
): { purpose: NotifierPurpose; order?: string } | undefined {
  if (text === undefined) return undefined;
  for (const p of notifier) {
    const m = p.re.exec(text);
    if (m) {
      const purpose = NOTIFIER_KEYS[p.key as keyof typeof NOTIFIER_KEYS];
      return m.groups?.order ? { purpose, order: m.groups.order } : { purpose };
    }
  }
  return undefined;
}

/** A locale text with its `{name}` placeholders filled in (tests build the bot's messages with it). */
export function localeText(
  app: 'bot-gateway' | 'notifier',
  lang: 'ru' | 'en',
  key: string,
  params: Record<string, string | number>,
): string {
  const template = load(app, lang)[key];
  if (template === undefined) throw new Error(`${app} has no ${lang} text ${key}`);
  return template.replace(/\{([a-zA-Z]+)\}/g, (_, name: string) => String(params[name]));
}
