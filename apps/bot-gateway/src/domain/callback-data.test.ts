import { describe, expect, it } from 'vitest';
import { orderButtonData, orderButtonKey } from '@neurocards/contracts';
import { CALLBACK_DATA_MAX_BYTES, decodeCallback, encodeCallback, type CallbackData } from './callback-data';

const all: CallbackData[] = [
  { action: 'template', draftId: 'AbC-_123', template: 'ugc' },
  { action: 'template', draftId: 'x', template: 'ad' },
  { action: 'template', draftId: 'x', template: 'custom' },
  { action: 'skip', draftId: 'x' },
  { action: 'count', draftId: 'x', count: 1 },
  { action: 'count', draftId: 'x', count: 3 },
  { action: 'locked', draftId: 'x', count: 5 },
  { action: 'confirm', draftId: 'x' },
  { action: 'cancel', draftId: 'x' },
  { action: 'back', draftId: 'x' },
  { action: 'next', draftId: 'x' },
  { action: 'model', draftId: 'x', index: 0 },
  { action: 'model', draftId: 'x', index: 12 },
  { action: 'format', draftId: 'x', aspectRatio: 'portrait' },
  { action: 'format', draftId: 'x', aspectRatio: 'landscape' },
  { action: 'length', draftId: 'x', seconds: 10 },
  { action: 'language', locale: 'ru' },
  { action: 'language', locale: 'en' },
  { action: 'orderAgain', orderKey: '3f2a1b4c-1234-56', button: 'more' },
  { action: 'orderAgain', orderKey: '3f2a1b4c-1234-56', button: 'template' },
];

describe('callback data', () => {
  it.each(all)('round-trips %o', (d) => {
    const raw = encodeCallback(d);
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(CALLBACK_DATA_MAX_BYTES);
    expect(decodeCallback(raw)).toEqual(d);
  });

  it('reads the notifier\'s order buttons', () => {
    const orderId = '3f2a1b4c-1234-5678-9abc-def012345678';
    expect(decodeCallback(orderButtonData('more', orderId))).toEqual({ action: 'orderAgain', orderKey: orderButtonKey(orderId), button: 'more' });
    expect(decodeCallback(orderButtonData('template', orderId))).toMatchObject({ button: 'template' });
  });

  it('fits 64 bytes with the longest draft id', () => {
    const raw = encodeCallback({ action: 'template', draftId: 'a'.repeat(16), template: 'custom' });
    expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(CALLBACK_DATA_MAX_BYTES);
  });

  it.each([
    undefined,
    '',
    'tpl',
    'tpl:x',
    'tpl:x:video',
    'cnt:x:2',
    'cnt:x',
    'lock:x:0',
    'ok:x:extra',
    'skip:x:1',
    'no:x:y:z',
    'zzz:x',
    'ok:bad id',
    'ok:' + 'a'.repeat(17),
    'x'.repeat(65),
    'mdl:x:01',
    'mdl:x:-1',
    'mdl:x',
    'fmt:x:q',
    'len:x:0',
    'len:x:61',
    'back:x:1',
    'lang:de',
    'lang:ru:x',
    'again:x:1',
  ])('rejects %s', (raw) => {
    expect(decodeCallback(raw)).toBeNull();
  });
});
