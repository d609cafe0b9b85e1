import { describe, expect, it } from 'vitest';
import { buildOffer, disabledBy, isOffered, markUnavailable, runnableOn, setEnabled } from './availability';
import { crossing, emptyCreditState, liftDecision } from './credits';
import {
  block,
  blockKey,
  coolKey,
  emptyAccountState,
  keyCapacity,
  keyHealth,
  liftAccountBlock,
  rankAccountKeys,
  unblock,
  type AccountState,
} from './keys';
import { releaseSlot, takeKeySlot } from './slots';

const rate = { limit: 20, windowMs: 10_000 };
const now = 5_000_000;
const limits = { rate, parallel: 3, maxInFlight: 100, inFlight: 0, ttlMs: 60_000 };

describe('one account, many keys: the window and the in-flight cap are the account’s', () => {
  it('three keys of one account share 20 per window; parallel calls stay per key', () => {
    let s: AccountState = emptyAccountState();
    const keys = ['a', 'b', 'c'];
    let taken = 0;
    for (let i = 0; i < 60; i++) {
      const key = keys[i % 3]!;
      const next = takeKeySlot(s, key, now, `id${i}`, { ...limits, parallel: 100 });
      if (next) {
        s = releaseSlot(next, `id${i}`, now, rate)!;
        taken++;
      }
    }
    expect(taken).toBe(20);
    // A fourth call on one key while three of its own are unanswered is refused, however empty the window.
    let t: AccountState = emptyAccountState();
    for (let i = 0; i < 3; i++) t = takeKeySlot(t, 'a', now, `p${i}`, limits)!;
    expect(takeKeySlot(t, 'a', now, 'p3', limits)).toBeNull();
    expect(takeKeySlot(t, 'b', now, 'p3', limits)).not.toBeNull();
    // The account's running tasks plus unanswered calls are bounded by KIE_MAX_IN_FLIGHT.
    expect(takeKeySlot(t, 'b', now, 'p4', { ...limits, maxInFlight: 10, inFlight: 7 })).toBeNull();
  });

  it('a capped key (433) rests while its account’s other keys go on; 402 stops them all', () => {
    const capped = coolKey(emptyAccountState(), 'a', now + 3600_000, 'usage limit exceeded');
    expect(keyHealth(capped, 'a', now)).toMatchObject({ state: 'cooling', reason: 'usage limit exceeded' });
    expect(keyHealth(capped, 'b', now).state).toBe('ok');
    expect(keyCapacity(capped, 'a', 0, 100, now, rate)).toBe(0);
    expect(keyCapacity(capped, 'b', 0, 100, now, rate)).toBe(20);
    const empty = { ...capped, ...block(capped, now, now + 86_400_000, 402, 'Credits insufficient').state };
    for (const k of ['a', 'b']) expect(keyHealth(empty, k, now).state).toBe('blocked');
    const revoked = blockKey(emptyAccountState(), 'a', now, now + 1000, 401, 'unauthorized');
    expect(revoked.newly).toBe(true);
    expect(blockKey(revoked.state, 'a', now, now + 2000, 401, 'again').newly).toBe(false);
    expect(keyHealth(revoked.state, 'b', now).state).toBe('ok');
  });

  it('unblocks a key, or an account with every key; credits lift only the 402 block', () => {
    let s = blockKey(emptyAccountState(), 'a', now, now + 1000, 401, 'x').state;
    s = coolKey(s, 'b', now + 1000, 'cap');
    s = { ...s, ...block(s, now, now + 1000, 402, 'no credits').state };
    expect(unblock(s, 'a', ['a', 'b'], now).lifted).toEqual(['a']);
    const all = unblock(s, null, ['a', 'b'], now);
    expect(all.lifted).toEqual(['a', 'b']);
    expect(keyHealth(all.state, 'b', now).state).toBe('ok');
    expect(liftAccountBlock(s, now).lifted).toBe(true);
    expect(liftAccountBlock(emptyAccountState(), now).lifted).toBe(false);
  });

  it('ranks keys over accounts, skipping accounts where the model does not run', () => {
    const used: AccountState = { ...emptyAccountState(), recent: Array.from({ length: 15 }, () => now - 1) };
    const accounts = [
      { account: 'busy', state: used, inFlight: 0, keys: ['b1', 'b2'] },
      { account: 'free', state: emptyAccountState(), inFlight: 0, keys: ['f1'] },
      { account: 'nomodel', state: emptyAccountState(), inFlight: 0, keys: ['n1'] },
    ];
    const opts = { now, rate, maxInFlight: 100, allowAccount: (a: string) => a !== 'nomodel' };
    expect(rankAccountKeys(accounts, opts)).toEqual(['f1', 'b1', 'b2']);
    expect(rankAccountKeys(accounts, { ...opts, exclude: ['f1'] })).toEqual(['b1', 'b2']);
  });
});

describe('model availability and the offer', () => {
  const accounts = ['acctA', 'acctB'];
  const refusal = { code: 422, message: 'The model is not supported', at: now };

  it('a refusal marks one account once; the model stays offered while another account runs it', () => {
    const one = markUnavailable({}, 'veo3_fast', 'acctA', refusal);
    expect(one.newly).toBe(true);
    expect(markUnavailable(one.next, 'veo3_fast', 'acctA', refusal).newly).toBe(false);
    expect(runnableOn(one.next, 'veo3_fast', accounts)).toEqual(['acctB']);
    expect(isOffered(one.next, 'veo3_fast', accounts)).toBe(true);
    const both = markUnavailable(one.next, 'veo3_fast', 'acctB', refusal).next;
    expect(isOffered(both, 'veo3_fast', accounts)).toBe(false);
    expect(disabledBy(both, 'veo3_fast', accounts)).toBe('kie');
    // The admin turns it back on: every account again, and a new epoch (a new refusal alerts again).
    const on = setEnabled(both, 'veo3_fast', true);
    expect(isOffered(on, 'veo3_fast', accounts)).toBe(true);
    expect(on.veo3_fast!.epoch).toBe(1);
    const off = setEnabled(on, 'veo3_fast', false);
    expect(disabledBy(off, 'veo3_fast', accounts)).toBe('admin');
  });

  it('builds the offer in KIE_MODELS order with label, price, lengths, orientations, sound', () => {
    const a = markUnavailable({}, 'kling-3.0/video', 'acctA', refusal).next;
    const gone = markUnavailable(a, 'kling-3.0/video', 'acctB', refusal).next;
    const offer = buildOffer(
      ['veo3_fast', 'kling-3.0/video', 'hailuo/2-3-image-to-video-standard'],
      { veo3_fast: 2 },
      gone,
      accounts,
      now,
    );
    expect(offer.models).toEqual([
      {
        id: 'veo3_fast',
        label: 'Veo 3.1 Fast',
        family: 'veo',
        creditsPerVideo: 2,
        durations: [8],
        defaultDuration: 8,
        aspectRatios: ['portrait', 'landscape'],
        sound: true,
      },
      {
        id: 'hailuo/2-3-image-to-video-standard',
        label: 'Hailuo 2.3',
        family: 'market',
        creditsPerVideo: 1,
        durations: [6, 10],
        defaultDuration: 6,
        aspectRatios: ['portrait', 'landscape'],
        sound: false,
      },
    ]);
  });
});

describe('credit alerts and the 402 block', () => {
  it('alerts once per fall below the threshold and once per recovery', () => {
    let s = emptyCreditState();
    const seen: Array<string | null> = [];
    for (const credits of [900, 400, 300, 100, 600, 700, 200]) {
      const c = crossing(s, credits, 500, now);
      seen.push(c.alert);
      s = c.next;
    }
    expect(seen).toEqual([null, 'low', null, null, 'recovered', null, 'low']);
    expect(s.seq).toBe(2);
    expect(crossing(emptyCreditState(), 1, undefined, now).alert).toBeNull();
  });

  it('lifts a 402 block only when the balance rose since the block', () => {
    const until = now + 86_400_000;
    const first = liftDecision(emptyCreditState(), 12, until);
    expect(first).toEqual({ atBlock: { until, credits: 12 }, lift: false });
    const s = { ...emptyCreditState(), atBlock: first.atBlock };
    expect(liftDecision(s, 12, until).lift).toBe(false);
    expect(liftDecision(s, 5000, until).lift).toBe(true);
    expect(liftDecision(s, 5000, null)).toEqual({ atBlock: null, lift: false });
  });
});
