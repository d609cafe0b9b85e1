import { describe, expect, it } from 'vitest';
import { buildHttpServer } from './http';
import { createMetrics } from './metrics';
import { silentLogger } from './testing';

/**
 * Security (issue 7): every HTTP endpoint of a service has a body size limit. All routes live
 * on the platform's server (the webhook, the KIE callback, health and metrics), so its limit
 * applies to each: a larger body is refused with 413 before any handler runs.
 */
describe('HTTP body limit', () => {
  const MiB = 1024 * 1024;

  async function app(bodyLimit?: number) {
    const a = buildHttpServer({
      log: silentLogger(),
      metrics: createMetrics('test'),
      isReady: () => true,
      ...(bodyLimit ? { bodyLimit } : {}),
    });
    let handled = 0;
    a.post('/hook', async () => {
      handled++;
      return { ok: true };
    });
    a.post('/hook/:token', async () => {
      handled++;
      return { ok: true };
    });
    await a.ready();
    return { a, handled: () => handled };
  }

  it('is 1 MiB by default, on every route and content type', async () => {
    const { a, handled } = await app();
    for (const url of ['/hook', '/hook/tok', '/healthz', '/readyz', '/metrics']) {
      for (const type of ['application/json', 'text/plain']) {
        const payload = type === 'application/json' ? JSON.stringify({ pad: 'x'.repeat(MiB) }) : 'x'.repeat(MiB + 1);
        const res = await a.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });
        // 413 where a route takes a body; 404/405 where none does. Never a handled request.
        expect([413, 404, 405, 415]).toContain(res.statusCode);
        if (url.startsWith('/hook') && type === 'application/json') expect(res.statusCode).toBe(413);
      }
    }
    expect(handled()).toBe(0);
    const ok = await a.inject({ method: 'POST', url: '/hook', payload: { pad: 'x'.repeat(MiB - 100) } });
    expect(ok.statusCode).toBe(200);
    await a.close();
  });

  it('takes a smaller limit where a service sets one', async () => {
    const { a, handled } = await app(1024);
    const res = await a.inject({ method: 'POST', url: '/hook', payload: { pad: 'x'.repeat(2000) } });
    expect(res.statusCode).toBe(413);
    expect(handled()).toBe(0);
    await a.close();
  });
});
