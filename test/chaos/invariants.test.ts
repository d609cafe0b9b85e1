import { describe, expect, it } from 'vitest';
import { SERVICES } from '@neurocards/launcher';
import type { SimMessage } from '@neurocards/sandbox';
import type { FaultRecord } from './faults';
import { checkInvariants, type RunFacts } from './invariants';
import { localeText } from './texts';
import type { Snapshot } from './state';

/**
 * The report must be able to fail: each invariant is shown FAILing on a state that breaks it,
 * and the clean state passes them all.
 */
const USER = 7_300_001;
const ORDER = 'a1b2c3d4-0000-4000-8000-000000000001';
const T0 = 1_800_000_000_000;

function msg(messageId: number, extra: Partial<SimMessage>): SimMessage {
  return { messageId, chatId: USER, kind: 'text', edited: false, date: T0 / 1000 + messageId, ...extra };
}

function cleanSnapshot(): Snapshot {
  const video = (id: number, job: string) =>
    msg(id, {
      kind: 'video',
      caption: `Video ${job} of 2`,
      video: { fileId: `f${id}`, sizeBytes: 1, sourceUrl: `http://kie/results/t${job}.mp4` },
    });
  return {
    orders: [{ orderId: ORDER, userId: USER, status: 'completed', count: 2, delivered: 2, failed: 0 }],
    jobs: [
      { jobId: 'j1', orderId: ORDER, state: 'delivered', failureReason: null },
      { jobId: 'j2', orderId: ORDER, state: 'delivered', failureReason: null },
    ],
    ledger: [
      {
        kind: 'grant',
        userId: USER,
        amount: 3,
        orderId: null,
        jobId: null,
        grantId: 'g',
        balanceAfter: 3,
        heldAfter: 0,
      },
      {
        kind: 'hold',
        userId: USER,
        amount: 2,
        orderId: ORDER,
        jobId: null,
        grantId: null,
        balanceAfter: 1,
        heldAfter: 2,
      },
      {
        kind: 'capture',
        userId: USER,
        amount: 1,
        orderId: ORDER,
        jobId: 'j1',
        grantId: null,
        balanceAfter: 1,
        heldAfter: 1,
      },
      {
        kind: 'capture',
        userId: USER,
        amount: 1,
        orderId: ORDER,
        jobId: 'j2',
        grantId: null,
        balanceAfter: 1,
        heldAfter: 0,
      },
    ],
    accounts: [{ userId: USER, granted: 3, captured: 2, held: 0 }],
    holds: [{ orderId: ORDER, userId: USER, amount: 2, perVideo: 1, captured: 2, released: 0 }],
    rejections: [],
    deliveries: [
      { key: `order:${ORDER}:taken`, purpose: 'order-taken', chatId: USER, status: 'sent', messageId: 2 },
      { key: 'job:j1:video', purpose: 'video', chatId: USER, status: 'sent', messageId: 3 },
      { key: 'job:j2:video', purpose: 'video', chatId: USER, status: 'sent', messageId: 4 },
      { key: `order:${ORDER}:summary`, purpose: 'order-summary', chatId: USER, status: 'sent', messageId: 5 },
    ],
    outbox: { billing: 0, orchestrator: 0 },
    placed: [{ orderId: ORDER, userId: USER, count: 2 }],
    parked: [],
    chats: new Map([
      [
        USER,
        [
          msg(1, { text: localeText('bot-gateway', 'en', 'orderSent', { count: 2 }) }),
          msg(2, {
            text: localeText('notifier', 'en', 'orderTaken', {
              order: 'A1B2C3D4',
              count: 2,
              amount: 2,
              balance: 1,
              progress: localeText('notifier', 'en', 'statusStarted', {}),
            }),
          }),
          video(3, '1'),
          video(4, '2'),
          msg(5, {
            text: localeText('notifier', 'en', 'orderSummary', {
              order: 'A1B2C3D4',
              delivered: 2,
              count: 2,
              refunded: 0,
              balance: 1,
            }),
          }),
        ],
      ],
    ]),
  };
}

function facts(): RunFacts {
  const fault = (f: FaultRecord['fault']): FaultRecord => ({
    fault: f,
    startedAt: T0,
    endedAt: T0,
    injected: true,
    note: '',
  });
  return {
    grants: new Map([[USER, 3]]),
    sellers: [
      {
        userId: USER,
        acknowledged: 1,
        abandoned: 0,
        updates: [{ userId: USER, what: 'photo', at: T0, outcome: 'ok', waitedMs: 5 }],
      },
    ],
    faults: [
      ...SERVICES.map((s) => fault({ kind: 'kill', at: 0, services: [s] })),
      fault({ kind: 'kill', at: 0, services: ['billing', 'notifier'] }),
      fault({ kind: 'nats-restart', at: 0, downMs: 1, signal: 'SIGKILL' }),
      fault({ kind: 'postgres-restart', at: 0, downMs: 1 }),
    ],
    exits: [],
    settled: true,
    minVideos: 2,
    t0: T0,
    kieCallbacks: { sent: 2, duplicates: 0 },
  };
}

const failing = (s: Snapshot, f: RunFacts = facts()) =>
  checkInvariants(s, f)
    .filter((c) => !c.pass)
    .map((c) => c.name);

describe('chaos invariants', () => {
  it('pass on a consistent state', () => {
    expect(failing(cleanSnapshot())).toEqual([]);
  });

  it('fail a video sent twice, and name it in the reconciliation', () => {
    const s = cleanSnapshot();
    const chat = s.chats.get(USER)!;
    chat.push({ ...chat[2]!, messageId: 6 });
    expect(failing(s)).toEqual([
      'no video and no status message reached a chat twice',
      'the reconciliation is clean',
    ]);
  });

  it('fail the status message sent twice for one order (it is edited in place, never sent again)', () => {
    const s = cleanSnapshot();
    const chat = s.chats.get(USER)!;
    chat.push({ ...chat[1]!, messageId: 7 });
    expect(failing(s)).toContain('no video and no status message reached a chat twice');
  });

  it('let pass a video re-sent because its notifier was killed while sending it (design §6), and only that', () => {
    const s = cleanSnapshot();
    const chat = s.chats.get(USER)!;
    // Copy 3 reached the chat as the notifier died; the next notifier sent it again (6) and recorded that.
    chat.push({ ...chat[2]!, messageId: 6, date: chat[2]!.date + 20 });
    s.deliveries.find((d) => d.key === 'job:j1:video')!.messageId = 6;
    const f = facts();
    f.faults.push({
      fault: { kind: 'kill', at: 3000, services: ['notifier'] },
      startedAt: T0 + 3000,
      endedAt: T0 + 3000,
      injected: true,
      note: '',
    });
    expect(failing(s, f)).toEqual([]);
    // Without that kill, the same chat is a duplicate.
    expect(failing(s)).toEqual([
      'no video and no status message reached a chat twice',
      'the reconciliation is clean',
    ]);
  });

  it('fail a hold left open and a balance that does not add up', () => {
    const s = cleanSnapshot();
    s.accounts[0]!.held = 1;
    s.holds[0]!.captured = 1;
    expect(failing(s)).toContain(
      'every balance = grants − captured − held, never negative, no hold left open',
    );
  });

  it('fail an acknowledged order that was never placed, and a stuck one', () => {
    const s = cleanSnapshot();
    s.chats.get(USER)!.push(msg(7, { text: localeText('bot-gateway', 'en', 'orderSent', { count: 1 }) }));
    expect(failing(s)).toContain('no order is lost or stuck');
    const t = cleanSnapshot();
    t.orders[0]!.status = 'active';
    t.jobs[1]!.state = 'generating';
    expect(failing(t)).toEqual(
      expect.arrayContaining([
        'no order is lost or stuck',
        'every video ends exactly once: delivered and captured, or failed and released',
      ]),
    );
  });

  it('fail an unanswered update, an unexplained parked message and an exit of a service its own', () => {
    const f = facts();
    f.sellers[0]!.updates.push({ userId: USER, what: '3', at: T0, outcome: 'unanswered', waitedMs: 60_000 });
    f.exits.push({ service: 'notifier', pid: 1, code: 1, at: T0, injected: false, lastLines: ['TypeError'] });
    const s = cleanSnapshot();
    s.parked.push({ seq: 1, consumer: 'billing-orders', subject: 'orders.order.placed.v1', reason: '' });
    expect(failing(s, f)).toEqual([
      "no seller's update went unanswered",
      'every parked message in DEAD is accounted for with its reason',
      'no service exited except when the suite killed it',
    ]);
  });

  it('fail a run that did not inject its faults', () => {
    const f = facts();
    f.faults = f.faults.filter((r) => r.fault.kind !== 'postgres-restart');
    expect(failing(cleanSnapshot(), f)).toEqual([expect.stringMatching(/^the run covered/)]);
  });
});
