import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupInfra } from '../../test/testing';
import { createKeyPool, type KeyPoolOptions } from './key-pool';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => {
  env = await setupInfra();
});
afterAll(() => env.close());

const rate = { limit: 20, windowMs: 10_000 };
const GUARD = 250;
const pool = (names: string[], over: Partial<KeyPoolOptions> = {}) =>
  createKeyPool({ kv: env.kv, names, rate, prefix: env.keyPrefix, guardMs: GUARD, ...over });
const replicas = (names: string[], over: Partial<KeyPoolOptions> = {}) =>
  [0, 1, 2].map(() => pool(names, over));
const none = async () => 0;
let ids = 0;
const take = (p: ReturnType<typeof pool>, name: string, now: number, inFlight = none) =>
  p.tryTake(name, now, { id: `s${++ids}`, inFlight });

describe('key pool in KV', () => {
  it('never lets replicas overspend a window, however they race', async () => {
    const pools = replicas(['race'], { parallel: 100 });
    const now = Date.now();
    // Each caller read its clock at a slightly different moment, as replicas do.
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => take(pools[i % 3]!, 'race', now + ((i * 7) % 13))),
    );
    expect(results.filter(Boolean)).toHaveLength(20);
    const [snap] = await pools[0]!.snapshot();
    expect(snap!.state.pending).toHaveLength(20);
  });

  it('counts a submission from its answer: the window slides from when KIE may have seen it', async () => {
    const p = pool(['slide'], { parallel: 100 });
    const now = Date.now();
    const ids = Array.from({ length: 20 }, (_, i) => `slide-${i}`);
    for (const id of ids) expect(await p.tryTake('slide', now, { id, inFlight: none })).toBe(true);
    expect(await take(p, 'slide', now + 1)).toBe(false);
    // 19 answered at once; one slow call answered 8 s after its slot was taken.
    for (const id of ids.slice(1)) await p.release('slide', id, now + 10);
    await p.release('slide', ids[0]!, now + 8_000);
    const [snap] = await p.snapshot();
    expect(snap!.state.pending).toEqual([]);
    expect(snap!.state.recent).toHaveLength(20);
    // One window (plus the guard) after the fast answers, only their 19 slots are free again.
    const later = now + 10 + rate.windowMs + GUARD + 1;
    for (let i = 0; i < 19; i++) expect(await take(p, 'slide', later)).toBe(true);
    expect(await take(p, 'slide', later)).toBe(false);
  });

  it('holds at most `parallel` unanswered calls per key, and KIE_MAX_IN_FLIGHT across replicas', async () => {
    const [a, b] = replicas(['busy'], { parallel: 2 });
    const now = Date.now();
    const results = await Promise.all([take(a!, 'busy', now), take(b!, 'busy', now), take(a!, 'busy', now)]);
    expect(results.filter(Boolean)).toHaveLength(2);
    const [snap] = await a!.snapshot();
    await a!.release('busy', snap!.state.pending[0]!.id, now + 100);
    expect(await take(b!, 'busy', now + 200)).toBe(true);

    const [c] = replicas(['full'], { parallel: 10, maxInFlight: 3 });
    expect(await take(c!, 'full', now, async () => 2)).toBe(true);
    // Two tasks running (Postgres) + one unanswered call here = 3: the key is full.
    expect(await take(c!, 'full', now, async () => 2)).toBe(false);
  });

  it('frees a slot never sent, and lets an unanswered one expire', async () => {
    const p = pool(['free'], { parallel: 1, slotTtlMs: 1000 });
    const now = Date.now();
    expect(await p.tryTake('free', now, { id: 'x', inFlight: none })).toBe(true);
    expect(await take(p, 'free', now)).toBe(false);
    await p.release('free', 'x', null);
    expect((await p.snapshot())[0]!.state).toMatchObject({ pending: [], recent: [] });
    expect(await p.tryTake('free', now, { id: 'y', inFlight: none })).toBe(true);
    expect(await take(p, 'free', now + 1001)).toBe(true); // `y` died with its replica
  });

  it('shares cool-downs and blocks between replicas, and reports a block once', async () => {
    const [a, b] = replicas(['shared']);
    const now = Date.now();
    await a!.coolDown('shared', now + 60_000);
    expect(await take(b!, 'shared', now)).toBe(false);
    expect(await take(b!, 'shared', now + 60_001)).toBe(true);

    const blocks = await Promise.all([
      a!.block('shared', now, now + 1000, 402, 'no credits'),
      b!.block('shared', now, now + 2000, 402, 'no credits'),
    ]);
    expect(blocks.filter((x) => x.newly)).toHaveLength(1);
    // Both name the block in force.
    expect(new Set(blocks.map((x) => x.until)).size).toBe(1);
    const [snap] = await b!.snapshot();
    expect(snap!.state).toMatchObject({
      blockedUntil: blocks[0]!.until,
      blockedCode: 402,
      blockedReason: 'no credits',
    });
    expect(await take(a!, 'shared', now + 1)).toBe(false);
  });

  it('shares the poll budget between replicas', async () => {
    const pools = replicas(['polls'], { pollsPerSecond: 10 });
    const now = Date.now();
    const granted = await Promise.all(pools.map((p) => p.takePollTokens('polls', 6, now)));
    expect(granted.reduce((a, b) => a + b, 0)).toBe(10);
    expect(await pools[0]!.takePollTokens('polls', 6, now + 500)).toBe(5);
  });

  it('stores key names only', async () => {
    const p = pool(['named']);
    await take(p, 'named', Date.now());
    const e = await env.kv.get(`${env.keyPrefix}named`);
    expect(e?.string()).not.toMatch(/sk-/);
    expect(Object.keys(e!.json<object>()).sort()).toEqual([
      'blockedCode',
      'blockedReason',
      'blockedUntil',
      'coolUntil',
      // Each key's own flags (433 cool-down, 401 block) live in its account's entry.
      'keys',
      'pending',
      'recent',
    ]);
  });
});
