import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { openKv, type KV } from '@neurocards/platform';
import { connectTestNats, eventually, silentLogger, uniqueName } from '@neurocards/platform/testing';
import { newSession, type Session } from '../domain/session';
import { offeredModel } from '../../test/support';
import { createOfferSource } from './model-offer';
import { createKvSessionStore } from './session-store';
import { createUpdateDedup, fingerprint, type Claim, type Lease } from './update-dedup';

let nc: NatsConnection;
let sessionsKv: KV;
let updatesKv: KV;
let modelsKv: KV;

beforeAll(async () => {
  nc = await connectTestNats();
  sessionsKv = await openKv(nc, 'bot_sessions', 1);
  updatesKv = await openKv(nc, 'bot_updates', 1);
  modelsKv = await openKv(nc, 'kie_models', 1);
});
afterAll(async () => {
  await nc.drain();
});

/** Each test writes under its own key prefix in the shared buckets. */
const prefix = () => `${uniqueName('t')}.`;

const withDraft = (s: Session): Session => ({
  ...s,
  draft: {
    step: 'template',
    id: 'd1',
    orderId: 'order-0001',
    photo: { objectKey: 'tg-x', mimeType: 'image/png', sizeBytes: 10, fileUniqueId: 'x' },
  },
});

describe('KV session store', () => {
  it('starts empty, saves, and loads what it saved', async () => {
    const store = createKvSessionStore(sessionsKv, prefix());
    expect(await store.load(42)).toEqual({ session: null, revision: 0 });
    const s = withDraft(newSession('en'));
    expect(await store.save(42, s, 0)).toBe(true);
    const loaded = await store.load(42);
    expect(loaded.session).toEqual(s);
    expect(loaded.revision).toBeGreaterThan(0);
  });

  it('keeps chats apart, including negative (group) chat ids', async () => {
    const store = createKvSessionStore(sessionsKv, prefix());
    await store.save(-100123, newSession('en'), 0);
    await store.save(100123, newSession('ru'), 0);
    expect((await store.load(-100123)).session?.locale).toBe('en');
    expect((await store.load(100123)).session?.locale).toBe('ru');
  });

  it('refuses a write based on a stale revision (compare-and-set)', async () => {
    const store = createKvSessionStore(sessionsKv, prefix());
    await store.save(7, newSession('ru'), 0);
    const a = await store.load(7);
    const b = await store.load(7);
    expect(await store.save(7, withDraft(a.session!), a.revision)).toBe(true);
    expect(await store.save(7, newSession('en'), b.revision)).toBe(false);
    expect((await store.load(7)).session).toEqual(withDraft(newSession('ru')));
  });

  it('refuses a second create of the same chat', async () => {
    const store = createKvSessionStore(sessionsKv, prefix());
    expect(await store.save(8, newSession('ru'), 0)).toBe(true);
    expect(await store.save(8, newSession('en'), 0)).toBe(false);
  });

  it('treats an unreadable stored value as no session, and can overwrite it', async () => {
    const p = prefix();
    await sessionsKv.put(`${p}9`, new TextEncoder().encode('{"v":99}'));
    const store = createKvSessionStore(sessionsKv, p);
    const loaded = await store.load(9);
    expect(loaded.session).toBeNull();
    expect(await store.save(9, newSession('ru'), loaded.revision)).toBe(true);
    expect((await store.load(9)).session).toEqual(newSession('ru'));
  });
});

describe('update de-duplication (a leased claim)', () => {
  const upd = (id: number, text = 'hi') => ({ update_id: id, message: { message_id: 1, text } });
  /** A clock the test moves: the lease is judged by it. */
  const setup = () => {
    const clock = { at: 1_000_000 };
    const p = prefix();
    const dedup = createUpdateDedup(updatesKv, { prefix: p, leaseMs: 30_000, now: () => clock.at });
    const state = async (id: number) => {
      const e = await updatesKv.get(`${p}${id}`);
      return e && e.operation === 'PUT' ? (JSON.parse(e.string()) as { state: string }).state : null;
    };
    return { dedup, clock, state, p };
  };
  const won = async (c: Promise<Claim>) => {
    const r = await c;
    if (r.kind !== 'won') throw new Error(`expected to win, got ${r.kind}`);
    return r.lease;
  };

  it('create wins (processing); a repeat while it is held is busy; done makes repeats duplicates', async () => {
    const { dedup, state } = setup();
    const lease = await won(dedup.claim(1001, upd(1001)));
    expect(await state(1001)).toBe('processing');
    expect((await dedup.claim(1001, upd(1001))).kind).toBe('busy');
    await lease.done();
    expect(await state(1001)).toBe('done');
    expect((await dedup.claim(1001, upd(1001))).kind).toBe('duplicate');
    expect((await dedup.claim(1002, upd(1002))).kind).toBe('won');
  });

  it('of concurrent deliveries exactly one wins; the others are busy', async () => {
    const { dedup } = setup();
    const results = await Promise.all(Array.from({ length: 10 }, () => dedup.claim(5, upd(5))));
    expect(results.filter((r) => r.kind === 'won')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'busy')).toHaveLength(9);
  });

  it('a released update can be claimed again (its handling failed)', async () => {
    const { dedup, state } = setup();
    await (await won(dedup.claim(77, upd(77)))).release();
    expect(await state(77)).toBeNull();
    const again = await won(dedup.claim(77, upd(77)));
    expect((await dedup.claim(77, upd(77))).kind).toBe('busy');
    await again.done();
    expect((await dedup.claim(77, upd(77))).kind).toBe('duplicate');
  });

  it('a processing claim older than the lease (its holder died) is taken over, by one delivery', async () => {
    const { dedup, clock, state } = setup();
    await won(dedup.claim(31, upd(31))); // the holder is killed: never done, never released
    clock.at += 29_000;
    expect((await dedup.claim(31, upd(31))).kind).toBe('busy');
    clock.at += 2_000;
    const results = await Promise.all([dedup.claim(31, upd(31)), dedup.claim(31, upd(31))]);
    expect(results.map((r) => r.kind).sort()).toEqual(['busy', 'won']);
    await (results.find((r) => r.kind === 'won') as { lease: Lease }).lease.done();
    expect(await state(31)).toBe('done');
    clock.at += 60_000;
    expect((await dedup.claim(31, upd(31))).kind).toBe('duplicate');
  });

  it('the dead holder cannot undo the takeover: its late done or release changes nothing', async () => {
    const { dedup, clock, state } = setup();
    const dead = await won(dedup.claim(32, upd(32)));
    clock.at += 31_000;
    const live = await won(dedup.claim(32, upd(32)));
    await dead.release();
    expect(await state(32)).toBe('processing');
    await dead.done();
    expect((await dedup.claim(32, upd(32))).kind).toBe('busy');
    await live.done();
    expect(await state(32)).toBe('done');
  });

  it('renews the lease while a slow handling runs, so it is not taken over', async () => {
    const p = prefix();
    let at = 0;
    const dedup = createUpdateDedup(updatesKv, { prefix: p, leaseMs: 300, now: () => at });
    const lease = await won(dedup.claim(33, upd(33)));
    const first = (await updatesKv.get(`${p}33`))!.revision;
    at = 1000;
    // The renewal (every lease/3) rewrites the claim with the current time.
    await eventually(async () => (await updatesKv.get(`${p}33`))!.revision > first);
    expect((await dedup.claim(33, upd(33))).kind).toBe('busy');
    await lease.done();
  });

  it('a different update reusing a seen id is processed once', async () => {
    const { dedup } = setup();
    await (await won(dedup.claim(9, upd(9, 'old')))).done();
    const results = await Promise.all([dedup.claim(9, upd(9, 'new')), dedup.claim(9, upd(9, 'new'))]);
    expect(results.filter((r) => r.kind === 'won')).toHaveLength(1);
    await (results.find((r) => r.kind === 'won') as { lease: Lease }).lease.done();
    expect((await dedup.claim(9, upd(9, 'new'))).kind).toBe('duplicate');
  });

  it('a claim written before leases (a bare fingerprint) counts as done', async () => {
    const { dedup, p } = setup();
    await updatesKv.put(`${p}40`, fingerprint(upd(40)));
    expect((await dedup.claim(40, upd(40))).kind).toBe('duplicate');
  });
});

describe('model offer from KV kie_models', () => {
  const log = silentLogger();
  const offer = (models: unknown[]) => JSON.stringify({ models, updatedAt: new Date().toISOString() });

  it('is empty while the dispatcher has written nothing, or what it wrote does not parse', async () => {
    const key = uniqueName('offer');
    let at = 0;
    const src = createOfferSource(modelsKv, { log, key, ttlMs: 1000, now: () => at });
    expect(await src.current()).toEqual([]);
    await modelsKv.put(key, 'not json');
    at += 1000;
    expect(await src.current()).toEqual([]);
    await modelsKv.put(key, offer([{ id: 'x' }]));
    at += 1000;
    expect(await src.current()).toEqual([]);
  });

  it('reads the models in order and reuses a read for a few seconds', async () => {
    const key = uniqueName('offer');
    let at = 0;
    const src = createOfferSource(modelsKv, { log, key, ttlMs: 1000, now: () => at });
    const veo = offeredModel({ id: 'veo3_fast', label: 'Veo 3.1 Fast', family: 'veo', creditsPerVideo: 3 });
    await modelsKv.put(key, offer([veo, offeredModel()]));
    expect((await src.current()).map((m) => m.id)).toEqual(['veo3_fast', 'kling-3.0/video']);
    // Withdrawn: still the cached read within the TTL, the new offer after it.
    await modelsKv.put(key, offer([offeredModel()]));
    at += 999;
    expect(await src.current()).toHaveLength(2);
    at += 1;
    expect((await src.current()).map((m) => m.id)).toEqual(['kling-3.0/video']);
    await modelsKv.delete(key);
    at += 1000;
    expect(await src.current()).toEqual([]);
  });
});
