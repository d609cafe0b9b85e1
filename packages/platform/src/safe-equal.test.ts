import { describe, expect, it } from 'vitest';
import { safeEqual } from './safe-equal';

describe('safeEqual', () => {
  it('is true only for the same string', () => {
    expect(safeEqual('s3cret', 's3cret')).toBe(true);
    expect(safeEqual('s3cret', 's3cre')).toBe(false);
    expect(safeEqual('s3cre', 's3cret')).toBe(false);
    expect(safeEqual('', 's3cret')).toBe(false);
    expect(safeEqual('S3cret', 's3cret')).toBe(false);
  });

  it('is false for anything that is not a string (a missing or repeated header)', () => {
    expect(safeEqual(undefined, 's3cret')).toBe(false);
    expect(safeEqual(['s3cret', 's3cret'], 's3cret')).toBe(false);
    expect(safeEqual(null, 's3cret')).toBe(false);
  });
});
