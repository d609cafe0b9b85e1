import { describe, expect, it } from 'vitest';
import { compareLocales, createTranslator, pickLocale } from './index';

describe('i18n', () => {
  const t = createTranslator({ ru: { hi: 'Привет, {name}!' }, en: { hi: 'Hi, {name}!' } });

  it('interpolates params per locale', () => {
    expect(t('ru', 'hi', { name: 'Аня' })).toBe('Привет, Аня!');
    expect(t('en', 'hi', { name: 'Ann' })).toBe('Hi, Ann!');
  });

  it('picks the plural form the locale needs', () => {
    const p = createTranslator({
      ru: { n: 'Баланс: {n, plural, one {# кредит} few {# кредита} many {# кредитов} other {# кредита}}.' },
      en: { n: 'Balance: {n, plural, =0 {no credits} one {# credit} other {# credits}}.' },
    });
    expect([1, 3, 5, 21, 23, 11, 0].map((n) => p('ru', 'n', { n }))).toEqual([
      'Баланс: 1 кредит.',
      'Баланс: 3 кредита.',
      'Баланс: 5 кредитов.',
      'Баланс: 21 кредит.',
      'Баланс: 23 кредита.',
      'Баланс: 11 кредитов.',
      'Баланс: 0 кредитов.',
    ]);
    expect([0, 1, 2].map((n) => p('en', 'n', { n }))).toEqual(['Balance: no credits.', 'Balance: 1 credit.', 'Balance: 2 credits.']);
  });

  it('counts a plural parameter as a parameter when comparing locales', () => {
    expect(compareLocales({ a: '{n, plural, one {#} other {#}}' }, { a: '{n}' })).toEqual([]);
    expect(compareLocales({ a: '{n, plural, one {#} other {#}}' }, { a: '{m}' })).toEqual(['params differ in a']);
  });

  it('picks English only for English speakers', () => {
    expect(pickLocale('en-GB')).toBe('en');
    expect(pickLocale('ru')).toBe('ru');
    expect(pickLocale(undefined)).toBe('ru');
    expect(pickLocale('de')).toBe('ru');
  });

  it('finds missing keys and mismatched params', () => {
    expect(compareLocales({ a: '{x}', b: 'b' }, { a: '{y}', c: 'c' })).toEqual([
      'params differ in a',
      'en lacks b',
      'en has extra c',
    ]);
  });
});
