import { describe, expect, it } from 'vitest';
import { PHOTO_MAX_BYTES } from '@neurocards/contracts';
import {
  checkCandidate,
  checkDownloaded,
  checkWishes,
  countOptions,
  sniffImageType,
  type PhotoCandidate,
} from './validation';

const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]);
const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
const webp = new Uint8Array([...Buffer.from('RIFF'), 0x24, 0, 0, 0, ...Buffer.from('WEBPVP8 ')]);
const gif = new Uint8Array(Buffer.from('GIF89a......'));
const pdf = new Uint8Array(Buffer.from('%PDF-1.7\n....'));

const doc = (over: Partial<PhotoCandidate>): PhotoCandidate => ({
  fileId: 'f',
  fileUniqueId: 'u',
  declaredMime: 'image/png',
  sizeBytes: 100,
  compressed: false,
  ...over,
});

describe('photo checks', () => {
  it('sniffs JPEG, PNG and WebP by magic bytes', () => {
    expect(sniffImageType(jpeg)).toBe('image/jpeg');
    expect(sniffImageType(png)).toBe('image/png');
    expect(sniffImageType(webp)).toBe('image/webp');
  });

  it.each([gif, pdf, new Uint8Array(), Uint8Array.from([0xff, 0xd8])])(
    'does not take %o for an image',
    (b) => {
      expect(sniffImageType(b)).toBeNull();
    },
  );

  it('accepts image documents of allowed types within the limit', () => {
    for (const m of ['image/jpeg', 'image/png', 'image/webp'])
      expect(checkCandidate(doc({ declaredMime: m }))).toBeNull();
    expect(checkCandidate(doc({ sizeBytes: PHOTO_MAX_BYTES }))).toBeNull();
    expect(checkCandidate(doc({ sizeBytes: null }))).toBeNull();
  });

  it('refuses other documents and oversize files before downloading', () => {
    expect(checkCandidate(doc({ declaredMime: 'application/pdf' }))).toBe('not_image');
    expect(checkCandidate(doc({ declaredMime: 'image/gif' }))).toBe('not_image');
    expect(checkCandidate(doc({ declaredMime: null }))).toBe('not_image');
    expect(checkCandidate(doc({ sizeBytes: PHOTO_MAX_BYTES + 1 }))).toBe('too_large');
    expect(
      checkCandidate(doc({ compressed: true, declaredMime: null, sizeBytes: PHOTO_MAX_BYTES + 1 })),
    ).toBe('too_large');
  });

  it('checks downloaded bytes: a PDF declared as PNG is refused', () => {
    expect(checkDownloaded(pdf)).toEqual({ ok: false, reason: 'not_image' });
    expect(checkDownloaded(png)).toEqual({ ok: true, mime: 'image/png' });
    const big = new Uint8Array(PHOTO_MAX_BYTES + 1);
    big.set(jpeg);
    expect(checkDownloaded(big)).toEqual({ ok: false, reason: 'too_large' });
  });
});

describe('wishes', () => {
  it('trims and accepts up to 1000 characters', () => {
    expect(checkWishes('  hi ')).toEqual({ ok: true, wishes: 'hi' });
    expect(checkWishes('a'.repeat(1000))).toEqual({ ok: true, wishes: 'a'.repeat(1000) });
  });
  it('refuses blank and overlong text', () => {
    expect(checkWishes(' \n\t')).toEqual({ ok: false, reason: 'empty' });
    expect(checkWishes('a'.repeat(1001))).toEqual({ ok: false, reason: 'too_long', length: 1001 });
  });
});

describe('count options', () => {
  it('disables what the balance cannot pay', () => {
    expect(countOptions(3, 1)).toEqual([
      { count: 1, enabled: true },
      { count: 3, enabled: true },
      { count: 5, enabled: false },
    ]);
    expect(countOptions(0, 1).every((o) => !o.enabled)).toBe(true);
  });
  it('prices each count at count × credits per video', () => {
    expect(countOptions(6, 2).map((o) => o.enabled)).toEqual([true, true, false]);
    expect(countOptions(5, 2).map((o) => o.enabled)).toEqual([true, false, false]);
    expect(countOptions(1, 2).every((o) => !o.enabled)).toBe(true);
  });
  it('enables every count when the balance is unknown (billing decides)', () => {
    expect(countOptions(null, 3).every((o) => o.enabled)).toBe(true);
  });
});
