import { badRequest } from './types.js';

const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span', 'tg-spoiler', 'a', 'code', 'pre', 'blockquote', 'tg-emoji']);
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
const byteOffset = (s: string, i: number): number => Buffer.byteLength(s.slice(0, i));
const fail = (what: string): Error => badRequest(`can't parse entities: ${what}`);

/**
 * Checks text against its parse_mode the way Telegram does (an unescaped `<` in HTML, or a
 * reserved character in MarkdownV2, is a 400) and returns the plain text the user sees.
 */
export function renderText(text: string, parseMode: string | undefined): string {
  if (parseMode === undefined || parseMode === '') return text;
  if (parseMode === 'HTML') return renderHtml(text);
  if (parseMode === 'MarkdownV2') return renderMarkdownV2(text);
  if (parseMode === 'Markdown') return text.replace(/[*_`]/g, '');
  throw badRequest('unsupported parse_mode');
}

function renderHtml(text: string): string {
  const open: string[] = [];
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '<') {
      const end = text.indexOf('>', i);
      if (end < 0) throw fail(`Unclosed start tag at byte offset ${byteOffset(text, i)}`);
      const raw = text.slice(i + 1, end).trim();
      const closing = raw.startsWith('/');
      const name = (closing ? raw.slice(1) : raw).split(/\s/)[0]?.toLowerCase() ?? '';
      if (!HTML_TAGS.has(name)) {
        throw fail(`Unsupported ${closing ? 'end' : 'start'} tag "${name}" at byte offset ${byteOffset(text, i)}`);
      }
      if (closing) {
        const expected = open.pop();
        if (expected !== name) {
          throw fail(`Unmatched end tag at byte offset ${byteOffset(text, i)}, expected "</${expected ?? ''}>", found "</${name}>"`);
        }
      } else open.push(name);
      i = end;
    } else if (c === '&') {
      const m = /^&(#\d+|#x[0-9a-f]+|[a-z]+);/i.exec(text.slice(i));
      const name = m?.[1];
      if (m && name !== undefined && (ENTITIES[name] !== undefined || name.startsWith('#'))) {
        out += ENTITIES[name] ?? String.fromCodePoint(name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
        i += m[0].length - 1;
      } else out += c;
    } else out += c;
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) throw fail(`Can't find end tag corresponding to start tag "${unclosed}"`);
  return out;
}

// Characters that are never formatting in MarkdownV2 and so must always be escaped.
const ALWAYS_ESCAPED = new Set(['.', '!', '#', '+', '-', '=', '{', '}', '>', '|']);

function renderMarkdownV2(text: string): string {
  let out = '';
  let inCode = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '\\') {
      out += text[i + 1] ?? '';
      i++;
    } else if (c === '`') {
      inCode = !inCode;
    } else if (inCode) {
      out += c;
    } else if (ALWAYS_ESCAPED.has(c) && !(c === '>' && (i === 0 || text[i - 1] === '\n'))) {
      throw fail(`Character '${c}' is reserved and must be escaped with the preceding '\\'`);
    } else if (!'*_~[]()'.includes(c)) {
      out += c;
    }
  }
  return out;
}
