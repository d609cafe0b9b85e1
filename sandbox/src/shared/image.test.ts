import { describe, expect, it } from 'vitest';
import { TINY_PNG, imageSize } from './image.js';

describe('imageSize', () => {
  it('reads PNG dimensions', () => {
    expect(imageSize(TINY_PNG)).toEqual({ width: 1, height: 1, mimeType: 'image/png' });
  });

  it('reads the SOF of a JPEG', () => {
    // SOI, APP0 (length 4, 2 bytes payload), SOF0 with height 300, width 400
    const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 1, 44, 1, 144, 3, 1, 0x22, 0]);
    expect(imageSize(jpeg)).toEqual({ width: 400, height: 300, mimeType: 'image/jpeg' });
  });

  it('returns undefined for text', () => {
    expect(imageSize(new TextEncoder().encode('definitely not an image file'))).toBeUndefined();
  });
});
