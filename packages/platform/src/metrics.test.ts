import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { failureClass } from '@neurocards/contracts';
import { cached, metricClass, telegramMetrics, telegramMetricsTransformer } from './metrics';
import { metricSample as sample } from './testing';

describe('cached', () => {
  it('loads once for callers at once and serves the value until it is stale', async () => {
    let loads = 0;
    const get = cached(async () => ++loads, { maxAgeMs: 60_000, timeoutMs: 1000 });
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    expect(await get()).toBe(1);
    expect(loads).toBe(1);
  });

  it('gives a waiting scrape the previous value when the source hangs, and the new one once it answers', async () => {
    let release: (v: number) => void = () => undefined;
    let calls = 0;
    const get = cached(
      () => {
        calls++;
        return calls === 1 ? Promise.resolve(7) : new Promise<number>((r) => (release = r));
      },
      { maxAgeMs: 0, timeoutMs: 20 },
    );
    expect(await get()).toBe(7);
    // The source hangs: the scrape is not held, it gets the last value.
    expect(await get()).toBe(7);
    release(8);
    await new Promise((r) => setTimeout(r, 0));
    // The hung load finished meanwhile; the next one hangs again but 8 was kept.
    expect(await get()).toBe(8);
  });

  it('keeps the last value when a load fails, and reports the error', async () => {
    let n = 0;
    const errors: unknown[] = [];
    const get = cached(
      async () => {
        if (++n > 1) throw new Error('down');
        return 'ok';
      },
      { maxAgeMs: 0, timeoutMs: 1000, onError: (e) => errors.push(e) },
    );
    expect(await get()).toBe('ok');
    expect(await get()).toBe('ok');
    expect(errors).toHaveLength(1);
  });

  it('drops the value once the source has failed for too long, so the series goes away', async () => {
    let n = 0;
    const get = cached(
      async () => {
        if (++n > 1) throw new Error('down');
        return 'ok';
      },
      { maxAgeMs: 0, timeoutMs: 1000, staleAfterMs: 30 },
    );
    expect(await get()).toBe('ok');
    await new Promise((r) => setTimeout(r, 50));
    expect(await get()).toBeUndefined();
  });
});

describe('metricClass', () => {
  it('maps every failure class of the contract onto the metric vocabulary', () => {
    const mapped = failureClass.options.map((c) => metricClass(c));
    expect(mapped).toEqual(['content', 'billing', 'config', 'transient', 'timeout', 'undeliverable', 'cancelled']);
    expect(metricClass(null)).toBe('none');
  });
});

describe('telegramMetricsTransformer', () => {
  it('times each call by method and counts 429 answers', async () => {
    const registry = new Registry();
    const m = telegramMetrics(registry);
    const t = telegramMetricsTransformer(m);
    const answers = [
      { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } },
      { ok: true, result: { message_id: 1 } },
    ];
    const prev = async () => answers.shift()!;
    await t(prev, 'sendMessage', { chat_id: 1, text: 'x' });
    await t(prev, 'sendMessage', { chat_id: 1, text: 'x' });
    await t(async () => ({ ok: true, result: [] }), 'getUpdates', {});
    await expect(t(async () => Promise.reject(new Error('network')), 'sendVideo', {})).rejects.toThrow('network');
    const text = await registry.metrics();
    expect(sample(text, 'neurocards_telegram_429_total', { method: 'sendMessage' })).toBe(1);
    expect(sample(text, 'neurocards_telegram_send_seconds_count', { method: 'sendMessage' })).toBe(2);
    expect(sample(text, 'neurocards_telegram_send_seconds_count', { method: 'sendVideo' })).toBe(1);
    expect(sample(text, 'neurocards_telegram_send_seconds_count', { method: 'getUpdates' })).toBeUndefined();
    // Wiring the metrics twice into one registry shares them.
    expect(telegramMetrics(registry).seconds).toBe(m.seconds);
  });
});
