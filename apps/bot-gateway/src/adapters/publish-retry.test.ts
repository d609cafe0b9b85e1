import { describe, expect, it } from 'vitest';
import type { Envelope } from '@neurocards/contracts';
import { publishUntilAcked } from './publish-retry';

const event: Envelope = {
  id: 'e1',
  type: 'orders.order.placed.v1',
  occurredAt: new Date(0).toISOString(),
  correlationId: 'o1',
  causationId: null,
  data: {},
};

describe('publishUntilAcked', () => {
  it('retries a failing publish with the same event until it is acknowledged', async () => {
    const seen: Envelope[] = [];
    let failures = 2;
    await publishUntilAcked(
      async (e) => {
        seen.push(e);
        if (failures-- > 0) throw new Error('503 no responders');
      },
      event,
      { deadlineMs: 10_000 },
    );
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((e) => e.id))).toEqual(new Set(['e1']));
  });

  it('gives up with the last error when no ack comes before the deadline', async () => {
    await expect(
      publishUntilAcked(() => new Promise<void>(() => undefined), event, { deadlineMs: 50 }),
    ).rejects.toThrow(/no ack/);
    await expect(
      publishUntilAcked(() => Promise.reject(new Error('connection closed')), event, { deadlineMs: 50 }),
    ).rejects.toThrow(/connection closed|no ack/);
  });
});
