import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Lets vitest's worker talk to its parent now and then during a long synchronous run. */
let calls = 0;
const breathe = async () => {
  if (++calls % 1000 === 0) await new Promise((r) => setImmediate(r));
};
import { catalog, subjects, type Subject } from './catalog';
import { ContractError, createEvent, decodeEvent, encodeEvent } from './codec';
import { validFixtures } from './testing';

/**
 * Hostile input on every event decoder (issue 7): whatever bytes arrive on whatever subject,
 * `decodeEvent` returns an event that satisfies its contract or throws a `ContractError`,
 * never anything else (the consumer runner parks the latter in DEAD).
 */

const RUNS = 10_000;
const TIMEOUT = 120_000;

/** Decodes, and checks the one allowed failure; returns the event when there is one. */
function decodeOrContractError(subject: string, raw: Uint8Array | string) {
  try {
    const event = decodeEvent(subject, raw);
    // What comes out honours the contract of the subject it arrived on. (Plain checks, not
    // expect(): this runs hundreds of thousands of times.)
    if (event.type !== subject || !catalog[subject as Subject].safeParse(event.data).success)
      throw new Error(`decoded an off-contract event on ${subject}`);
    return event;
  } catch (err) {
    if (!(err instanceof ContractError)) throw err;
    return null;
  }
}

const anySubject = fc.oneof(fc.constantFrom(...subjects), fc.string({ maxLength: 60 }));

/** A replacement value: the edge cases of each JSON type, cheap to generate. */
const replacement = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, '', ' ', '0', 'null', [], {}),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 30 }),
  fc.jsonValue({ maxDepth: 1 }),
);

/** A JSON value at some path of `value` replaced, or a key removed. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  if (typeof value !== 'object' || value === null) return fc.oneof(fc.constant(value), replacement);
  const entries = Object.entries(value);
  if (entries.length === 0) return replacement;
  return fc.oneof(
    replacement,
    fc.nat({ max: entries.length - 1 }).chain((i) => {
      const [key, inner] = entries[i]!;
      return fc.oneof(
        fc.constant(Object.fromEntries(entries.filter(([k]) => k !== key))),
        mutate(inner).map((m) => ({ ...(value as object), [key]: m })),
      );
    }),
  );
}

describe('decodeEvent under hostile input', () => {
  it(`answers ${RUNS} arbitrary byte strings on any subject with an event or a ContractError`, async () => {
    await fc.assert(
      fc.asyncProperty(anySubject, fc.uint8Array({ maxLength: 4096 }), async (subject, bytes) => {
        await breathe();
        expect(decodeOrContractError(subject, bytes)).toBeNull();
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it(`answers ${RUNS} arbitrary JSON documents on any subject with an event or a ContractError`, async () => {
    await fc.assert(
      fc.asyncProperty(anySubject, fc.jsonValue(), async (subject, json) => {
        await breathe();
        decodeOrContractError(subject, JSON.stringify(json));
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it.each(subjects)(`%s: ${RUNS} mutated envelopes decode to a valid event or a ContractError`, async (subject) => {
    const valid = createEvent({ subject, data: validFixtures[subject], correlationId: 'order-1' });
    // The unmutated event round-trips.
    expect(decodeEvent(subject, encodeEvent(valid))).toEqual(valid);
    await fc.assert(
      fc.asyncProperty(mutate(valid), fc.constantFrom(subject, ...subjects), async (envelope, on) => {
        await breathe();
        decodeOrContractError(on, JSON.stringify(envelope) ?? '');
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it(`refuses ${RUNS} envelopes whose data is arbitrary JSON unless it meets the contract`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...subjects), fc.jsonValue({ maxDepth: 3 }), async (subject, data) => {
        await breathe();
        const envelope = {
          id: 'e1',
          type: subject,
          occurredAt: new Date(0).toISOString(),
          correlationId: 'order-1',
          causationId: null,
          data,
        };
        const event = decodeOrContractError(subject, JSON.stringify(envelope));
        expect(event === null).toBe(!catalog[subject].safeParse(data).success);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});
