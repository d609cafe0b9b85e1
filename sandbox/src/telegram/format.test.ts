import { describe, expect, it } from 'vitest';
import { renderText } from './format.js';

describe('renderText', () => {
  it('strips supported HTML and decodes entities', () => {
    expect(renderText('<b>Order</b> &lt;42&gt; &amp; <i>more</i>', 'HTML')).toBe('Order <42> & more');
  });

  it('refuses an unescaped < in HTML like Telegram', () => {
    expect(() => renderText('price < 5', 'HTML')).toThrow(/can't parse entities/);
    expect(() => renderText('<b>open', 'HTML')).toThrow(/Can't find end tag/);
  });

  it('refuses unescaped reserved characters in MarkdownV2', () => {
    expect(() => renderText('Balance: 5.', 'MarkdownV2')).toThrow(/reserved/);
    expect(renderText('*Balance*: 5\\.', 'MarkdownV2')).toBe('Balance: 5.');
  });

  it('passes plain text through', () => {
    expect(renderText('a < b.', undefined)).toBe('a < b.');
  });
});
