import { describe, expect, it } from 'vitest';
import {
  decidePreCheckout,
  decodeInvoicePayload,
  encodeInvoicePayload,
  INVOICE_MAX_AGE_SECONDS,
  parseCreditPacks,
  type InvoicePayload,
} from './payments';

describe('parseCreditPacks', () => {
  it('parses and sorts the packs by size', () => {
    expect(parseCreditPacks('100:1200, 10:150,30:400')).toEqual([
      { credits: 10, stars: 150 },
      { credits: 30, stars: 400 },
      { credits: 100, stars: 1200 },
    ]);
  });

  it.each([
    ['', /at least one/],
    ['10:150,abc', /not credits:stars/],
    ['0:150', /credits must be/],
    ['10:0', /stars must be/],
    ['10:150,10:140', /two packs/],
    ['10:150,30:450', /not cheaper per credit/],
    ['10:150,30:500', /not cheaper per credit/],
    ['10:-5', /not credits:stars/],
    ['10:20000', /stars must be/],
  ])('refuses %j', (raw, error) => {
    expect(() => parseCreditPacks(raw)).toThrow(error);
  });
});

describe('invoice payload', () => {
  const p: InvoicePayload = {
    credits: 100,
    stars: 1200,
    purchaseId: 'AbCdEfGhIjKlMnOp',
    createdAt: 1_790_000_000,
    resume: 'again:0b6f5a8e-3d1c-4a',
  };

  it('round-trips within 128 bytes, with and without a resume reference', () => {
    const s = encodeInvoicePayload(p);
    expect(Buffer.byteLength(s)).toBeLessThanOrEqual(128);
    expect(decodeInvoicePayload(s)).toEqual(p);
    const { resume: _r, ...plain } = p;
    expect(decodeInvoicePayload(encodeInvoicePayload(plain))).toEqual(plain);
    expect(decodeInvoicePayload(encodeInvoicePayload({ ...p, resume: 'cont:aB3_-x:5' }))).toMatchObject({
      resume: 'cont:aB3_-x:5',
    });
  });

  it('decodes nothing it did not make (fuzz)', () => {
    const good = encodeInvoicePayload(p);
    const samples: unknown[] = [undefined, null, 42, {}, '', 'p1', 'p2|100|1200|AbCdEfGhIjKlMnOp|1790000000|'];
    const alphabet = 'p1|0123456789:abcAgain-_ ';
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      // Mutations of a good payload: one character changed, cut, or doubled.
      const at = Math.floor(rnd() * good.length);
      const ch = alphabet[Math.floor(rnd() * alphabet.length)]!;
      samples.push(good.slice(0, at) + ch + good.slice(at + 1), good.slice(0, at), good + good.slice(at));
    }
    for (const s of samples) {
      const d = decodeInvoicePayload(s);
      if (d === null) continue;
      // Whatever decodes is well-formed and re-encodes to itself.
      expect(encodeInvoicePayload(d)).toBe(s);
    }
    expect(decodeInvoicePayload('p1|0|1200|AbCdEfGhIjKlMnOp|1790000000|')).toBeNull();
    expect(decodeInvoicePayload('p1|100|1200|AbCdEfGhIjKlMnOp|1790000000|cont:x:2')).toBeNull();
    expect(decodeInvoicePayload(`p1|100|1200|AbCdEfGhIjKlMnOp|1790000000|${'x'.repeat(200)}`)).toBeNull();
  });
});

describe('decidePreCheckout', () => {
  const packs = parseCreditPacks('10:150,30:400,100:1200');
  const now = 1_790_000_000;
  const query = (o: Partial<InvoicePayload> = {}, q: { currency?: string; total_amount?: number } = {}) => {
    const payload = { credits: 30, stars: 400, purchaseId: 'AbCdEfGhIjKlMnOp', createdAt: now - 60, ...o };
    return {
      currency: q.currency ?? 'XTR',
      total_amount: q.total_amount ?? payload.stars,
      invoice_payload: encodeInvoicePayload(payload),
    };
  };

  it('accepts a current pack at its price', () => {
    expect(decidePreCheckout(query(), packs, now)).toMatchObject({ ok: true, payload: { credits: 30, stars: 400 } });
  });
  it('refuses a stale invoice (older than 24 h)', () => {
    expect(decidePreCheckout(query({ createdAt: now - INVOICE_MAX_AGE_SECONDS - 1 }), packs, now)).toEqual({
      ok: false,
      reason: 'stale',
    });
  });
  it('refuses a pack whose price changed, and an unknown pack', () => {
    expect(decidePreCheckout(query({ stars: 350 }), packs, now)).toEqual({ ok: false, reason: 'unknown_pack' });
    expect(decidePreCheckout(query({ credits: 50, stars: 500 }), packs, now)).toEqual({ ok: false, reason: 'unknown_pack' });
  });
  it('refuses another currency, another amount, and a payload not ours', () => {
    expect(decidePreCheckout(query({}, { currency: 'USD' }), packs, now)).toMatchObject({ ok: false, reason: 'wrong_currency' });
    expect(decidePreCheckout(query({}, { total_amount: 1 }), packs, now)).toMatchObject({ ok: false, reason: 'wrong_amount' });
    expect(decidePreCheckout({ currency: 'XTR', total_amount: 400, invoice_payload: 'hello' }, packs, now)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});

describe('payment buttons', () => {
  it('round-trip within 64 bytes', async () => {
    const { buyCallback, decodePaymentCallback, packsCallback } = await import('./payments');
    const resume = 'again:0b6f5a8e-3d1c-4a';
    expect(decodePaymentCallback(packsCallback())).toEqual({ action: 'packs' });
    expect(decodePaymentCallback(packsCallback(resume))).toEqual({ action: 'packs', resume });
    expect(decodePaymentCallback(buyCallback(100, resume))).toEqual({ action: 'buy', credits: 100, resume });
    expect(decodePaymentCallback(buyCallback(10))).toEqual({ action: 'buy', credits: 10 });
    expect(buyCallback(100_000, resume).length).toBeLessThanOrEqual(64);
    for (const bad of ['buy', 'buy|0', 'buy|10|x', 'packs|cont:x:2', 'buy|10|again:ab|1', 'tpl:x:ugc', '', 'packs|'])
      expect(decodePaymentCallback(bad)).toBeNull();
  });
});
