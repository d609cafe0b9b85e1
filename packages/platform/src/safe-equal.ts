import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares a received secret (a webhook secret token, a signature) with the expected one in
 * constant time. Both sides are hashed first, so the comparison takes the same time whatever
 * the lengths are: `timingSafeEqual` alone throws on different lengths, and an early length
 * check would leak the secret's length.
 */
export function safeEqual(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
