import { describe, expect, it } from 'vitest';
import { compareLocales, createTranslator, pickLocale } from './index';

describe('i18n', () => {
  const t = createTranslator({ ru: { hi: 'Привет, {name}!' }, en: { hi: 'Hi, {name}!' } });

  it('interpolates params per locale', () => {
    expect(t('ru', 'hi', { name: 'Аня' })).toBe('Привет, Аня!');
    expect(t('en', 'hi', { name: 'Ann' })).toBe('Hi, Ann!');
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
