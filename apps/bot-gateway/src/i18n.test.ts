import { describe, expect, it } from 'vitest';
import { compareLocales } from '@neurocards/i18n';
import { en, ru, t } from './i18n';

describe('locales', () => {
  it('en has exactly the keys and params of ru', () => {
    expect(compareLocales(ru, en)).toEqual([]);
  });
  it('fills params', () => {
    expect(t('ru', 'balanceLine', { balance: 5 })).toContain('5');
    expect(t('en', 'buttonOutdated')).toBe('This button is outdated.');
  });
});
