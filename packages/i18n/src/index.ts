/**
 * Tiny typed translator. Each service keeps its texts in its own locale files
 * (`locales/ru.json` is the source of truth, `locales/en.json` must have the same keys);
 * Russian is the default for anyone whose Telegram language is not English.
 */
export type Locale = 'ru' | 'en';

export type Messages = Record<string, string>;

export type Translator<K extends string> = (
  locale: Locale,
  key: K,
  params?: Record<string, string | number>,
) => string;

export function createTranslator<M extends Messages>(dicts: { ru: M; en: { [K in keyof M]: string } }): Translator<
  Extract<keyof M, string>
> {
  return (locale, key, params) => {
    const template = (dicts[locale] as Messages)[key] ?? (dicts.ru as Messages)[key];
    if (template === undefined) throw new Error(`missing text ${String(key)}`);
    return interpolate(locale, template, params);
  };
}

const PLURAL = /\{(\w+), plural,((?:\s*(?:=\d+|zero|one|two|few|many|other)\s*\{[^{}]*\})+)\s*\}/g;
const OPTION = /(=\d+|zero|one|two|few|many|other)\s*\{([^{}]*)\}/g;
const rules: Partial<Record<Locale, Intl.PluralRules>> = {};

/**
 * `{name}` → the param; `{n, plural, one {# кредит} few {# кредита} many {# кредитов} other {# кредита}}`
 * → the form Intl.PluralRules picks for the locale (`=0 {…}` matches exactly), `#` → the number.
 * Russian needs this: 1 кредит, 3 кредита, 5 кредитов.
 */
export function interpolate(locale: Locale, template: string, params?: Record<string, string | number>): string {
  const plural = template.replace(PLURAL, (whole, name: string, body: string) => {
    const n = Number(params?.[name]);
    if (!params || !(name in params) || Number.isNaN(n)) return whole;
    const options = new Map([...body.matchAll(OPTION)].map((m) => [m[1]!, m[2]!]));
    const category = (rules[locale] ??= new Intl.PluralRules(locale)).select(n);
    const text = options.get(`=${n}`) ?? options.get(category) ?? options.get('other') ?? '';
    return text.replace(/#/g, String(n));
  });
  return plural.replace(/\{(\w+)\}/g, (whole, name: string) => (params && name in params ? String(params[name]) : whole));
}

/** Picks the locale from Telegram's `language_code`: English speakers get English, others Russian. */
export function pickLocale(languageCode: string | undefined | null): Locale {
  return languageCode?.toLowerCase().startsWith('en') ? 'en' : 'ru';
}

/** Lists keys missing or extra in `en` compared with `ru`, and `{params}` that differ. */
export function compareLocales(ru: Messages, en: Messages): string[] {
  const problems: string[] = [];
  const params = (s: string) =>
    [...new Set([...s.matchAll(/\{(\w+)(?:\}|, plural,)/g)].map((m) => m[1]))].sort().join(',');
  for (const k of Object.keys(ru)) {
    if (!(k in en)) problems.push(`en lacks ${k}`);
    else if (params(ru[k]!) !== params(en[k]!)) problems.push(`params differ in ${k}`);
  }
  for (const k of Object.keys(en)) if (!(k in ru)) problems.push(`en has extra ${k}`);
  return problems;
}
