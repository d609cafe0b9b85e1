import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { isKvConflict, kvCompareAndSet, kvMutate } from './kv';
import { openKv, type KV } from './nats';
import { connectTestNats, uniqueName } from './testing';

let nc: NatsConnection;
let kv: KV;
const prefix = `${uniqueName('kvtest')}.`;

beforeAll(async () => {
  nc = await connectTestNats();
  kv = await openKv(nc, 'kie_keys', 1);
});

afterAll(async () => {
  for await (const k of await kv.keys(`${prefix}>`)) await kv.purge(k);
  await nc.close();
});

describe('isKvConflict', () => {
  it('recognises a create of an existing key and an update from a stale revision', async () => {
    const key = `${prefix}a`;
    const rev = await kv.create(key, 'one');
    const createErr = await kv.create(key, 'two').catch((e: unknown) => e);
    expect(isKvConflict(createErr)).toBe(true);
    await kv.update(key, 'two', rev);
    const updateErr = await kv.update(key, 'three', rev).catch((e: unknown) => e);
    expect(isKvConflict(updateErr)).toBe(true);
  });

  it('is false for other errors, even ones that mention the words', () => {
    expect(isKvConflict(new Error('wrong last sequence'))).toBe(false);
    expect(isKvConflict(Object.assign(new Error('x'), { code: 10071 }))).toBe(false);
    expect(isKvConflict(null)).toBe(false);
  });
});

describe('kvCompareAndSet', () => {
  it('writes from the revision read and refuses a stale one', async () => {
    const key = `${prefix}b`;
    expect(await kvCompareAndSet(kv, key, 'v1', 0)).toBe(true);
    expect(await kvCompareAndSet(kv, key, 'v1 again', null)).toBe(false);
    const e = (await kv.get(key))!;
    expect(await kvCompareAndSet(kv, key, 'v2', e.revision)).toBe(true);
    expect(await kvCompareAndSet(kv, key, 'v3', e.revision)).toBe(false);
    expect((await kv.get(key))!.string()).toBe('v2');
  });

  it('creates a key again after it was deleted', async () => {
    const key = `${prefix}c`;
    await kv.put(key, 'x');
    await kv.delete(key);
    expect(await kvCompareAndSet(kv, key, 'y', 0)).toBe(true);
  });
});

describe('kvMutate', () => {
  it('applies every one of many racing read-modify-writes', async () => {
    const key = `${prefix}counter`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        kvMutate(kv, key, {
          empty: () => ({ n: 0 }),
          change: (v) => ({ next: { n: v.n + 1 }, result: v.n + 1 }),
        }),
      ),
    );
    expect((await kv.get(key))!.json<{ n: number }>().n).toBe(10);
    expect([...results].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('writes nothing when change returns null', async () => {
    const key = `${prefix}none`;
    expect(
      await kvMutate(kv, key, { empty: () => ({ n: 0 }), change: () => ({ next: null, result: 'kept' }) }),
    ).toBe('kept');
    expect(await kv.get(key)).toBeNull();
  });

  it('takes a null empty value, then reads the stored one', async () => {
    const key = `${prefix}nullable`;
    const step = () =>
      kvMutate<{ n: number } | null, number>(kv, key, {
        empty: () => null,
        change: (v) => ({ next: { n: (v?.n ?? 0) + 1 }, result: v?.n ?? 0 }),
      });
    expect(await step()).toBe(0);
    expect(await step()).toBe(1);
    expect((await kv.get(key))!.json<{ n: number }>().n).toBe(2);
  });
});
