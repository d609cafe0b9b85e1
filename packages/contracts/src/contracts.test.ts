import { describe, expect, it } from 'vitest';
import {
  catalog,
  consumers,
  createEvent,
  decodeEvent,
  deterministicId,
  encodeEvent,
  rpc,
  streamOf,
  streams,
  subjects,
  type Subject,
} from './index';
import { invalidFixtures, validFixtures } from './testing';

describe('catalog', () => {
  it.each(subjects)('%s accepts its valid fixture', (subject) => {
    expect(catalog[subject].safeParse(validFixtures[subject]).success).toBe(true);
  });

  it.each(subjects)('%s rejects every invalid fixture', (subject) => {
    const broken = invalidFixtures[subject];
    expect(broken.length).toBeGreaterThan(0);
    for (const f of broken) expect(catalog[subject].safeParse(f).success).toBe(false);
  });

  it('names every subject <domain>.<entity>.<event>.v<N>', () => {
    for (const s of subjects) expect(s).toMatch(/^[a-z]+\.[a-z]+\.[a-z]+\.v\d+$/);
  });

  it('maps every subject to a stream whose filter matches it', () => {
    for (const s of subjects) {
      const filters = streams[streamOf(s)].subjects as readonly string[];
      expect(filters.some((f) => matches(f, s))).toBe(true);
    }
  });

  it('keeps request/reply subjects out of every stream', () => {
    for (const s of Object.keys(rpc)) {
      for (const def of Object.values(streams)) {
        expect((def.subjects as readonly string[]).some((f) => matches(f, s))).toBe(false);
      }
    }
  });

  it('gives every consumer a unique durable name prefixed by its service', () => {
    const names = Object.entries(consumers).flatMap(([svc, list]) =>
      list.map((c) => {
        expect(c.durable.startsWith(`${svc}-`)).toBe(true);
        return c.durable;
      }),
    );
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('codec', () => {
  it('round-trips an event through bytes', () => {
    const subject: Subject = 'orders.order.placed.v1';
    const ev = createEvent({ subject, data: validFixtures[subject], correlationId: 'o1' });
    const back = decodeEvent(subject, encodeEvent(ev));
    expect(back).toEqual(ev);
  });

  it('refuses to create an event with bad data', () => {
    expect(() =>
      createEvent({
        subject: 'jobs.video.failed.v1',
        data: { ...validFixtures['jobs.video.failed.v1'], reason: 'nope' as never },
        correlationId: 'o1',
      }),
    ).toThrow(/invalid data/);
  });

  it('rejects non-JSON, a wrong envelope, a mismatched type and an unknown subject', () => {
    const ev = createEvent({
      subject: 'notify.video.sent.v1',
      data: validFixtures['notify.video.sent.v1'],
      correlationId: 'o1',
    });
    expect(() => decodeEvent('notify.video.sent.v1', 'not json')).toThrow(/not JSON/);
    expect(() => decodeEvent('notify.video.sent.v1', JSON.stringify({ id: 'x' }))).toThrow(/bad envelope/);
    expect(() => decodeEvent('jobs.video.ready.v1', encodeEvent(ev))).toThrow(/does not match/);
    expect(() => decodeEvent('nope.x.y.v1', encodeEvent(ev))).toThrow(/unknown subject/);
  });

  it('derives the same id from the same parts and a different one otherwise', () => {
    expect(deterministicId('a', 1)).toBe(deterministicId('a', 1));
    expect(deterministicId('a', 1)).not.toBe(deterministicId('a', 2));
    expect(deterministicId('a', 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

/** NATS subject matching: `*` one token, `>` the rest. */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}
