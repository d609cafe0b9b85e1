import { describe, expect, it } from 'vitest';
import { makeTinyMp4, probeMp4 } from './mp4.js';

describe('makeTinyMp4', () => {
  it('writes an ISO BMFF file with ftyp, moov before mdat, and a probe-able video track', () => {
    const mp4 = makeTinyMp4({ seconds: 2 });
    const text = Buffer.from(mp4.bytes).toString('latin1');
    expect(text.slice(4, 8)).toBe('ftyp');
    expect(text.indexOf('moov')).toBeLessThan(text.indexOf('mdat'));
    expect(text).toContain('avcC');
    expect(mp4.bytes.length).toBeLessThan(20_000);
    expect(probeMp4(mp4.bytes)).toEqual({ width: 64, height: 64, duration: 2 });
  });

  it('says undefined for bytes that are not MP4', () => {
    expect(probeMp4(new TextEncoder().encode('hello, not a video'))).toBeUndefined();
  });
});
