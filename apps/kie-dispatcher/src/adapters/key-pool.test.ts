import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupInfra } from '../testing';
import { createKeyPool } from './key-pool';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

const rate = { limit: 20, windowMs: 10_000 };
const replicas = (names: string[]) =>
  [0, 1, 2].map(() => createKeyPool({ kv: env.kv, names, rate, prefix: env.keyPrefix }));

describe('key pool in KV', () => {
  it('never lets replicas overspend a window, however they race', async () => {
    const pools = replicas(['race']);
    const now = Date.now();
    // Each caller read its clock at a slightly different moment, as replicas do.
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => pools[i % 3]!.tryTake('race', now + ((i * 7) % 13))),
    );
    expect(results.filter(Boolean)).toHaveLength(20);
    const [snap] = await pools[0]!.snapshot();
    expect(snap!.state.recent).toHaveLength(20);
    // The window slides: 10 s later the key has room again.
    expect(await pools[1]!.tryTake('race', now + 10_000 + 13)).toBe(true);
  });

  it('shares cool-downs and blocks between replicas, and reports a block once', async () => {
    const [a, b] = replicas(['shared']);
    const now = Date.now();
    await a!.coolDown('shared', now + 60_000);
    expect(await b!.tryTake('shared', now)).toBe(false);
    expect(await b!.tryTake('shared', now + 60_001)).toBe(true);

    const blocks = await Promise.all([
      a!.block('shared', now, now + 1000, 402, 'no credits'),
      b!.block('shared', now, now + 1000, 402, 'no credits'),
    ]);
    expect(blocks.filter((x) => x.newly)).toHaveLength(1);
    const [snap] = await b!.snapshot();
    expect(snap!.state).toMatchObject({
      blockedUntil: now + 1000,
      blockedCode: 402,
      blockedReason: 'no credits',
    });
  });

  it('stores key names only', async () => {
    const pool = createKeyPool({ kv: env.kv, names: ['named'], rate, prefix: env.keyPrefix });
    await pool.tryTake('named', Date.now());
    const e = await env.kv.get(`${env.keyPrefix}named`);
    expect(e?.string()).not.toMatch(/sk-/);
    expect(Object.keys(e!.json<object>()).sort()).toEqual([
      'blockedCode',
      'blockedReason',
      'blockedUntil',
      'coolUntil',
      'recent',
    ]);
  });
});
