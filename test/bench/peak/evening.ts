/**
 * The evening peak as a deterministic discrete-event simulation in virtual time.
 *
 * 12,000+ videos through the five real services at 60× on 2 cores is not feasible, so the
 * evening runs the product's own pure decisions against a model of everything around them:
 *  - product code: the fair-share order (`fairOrder`, fair-queue.ts, see product.ts), the
 *    per-account limiter and key choice (keys.ts `keyCapacity`, `rankAccountKeys`; slots.ts
 *    `takeKeySlot`, `releaseSlot`) with the dispatcher's defaults (KIE_SUBMIT_RATE 20/10s,
 *    KIE_MAX_IN_FLIGHT 100, 3 unanswered createTask per key, 8 rows in hand per replica), and
 *    the KIE simulator's per-account limit model (sandbox/src/kie/accounts.ts `windowFull`,
 *    `charge`; a running cap of 100);
 *  - modelled: sellers and arrivals, the GPT step (3–8 s per order, its prompts together), photo upload (0.5–2 s, once per
 *    order), HTTP round trips (0.3–1.2 s), callbacks (0.2–1 s), generation (2–5 min uniform),
 *    the notifier's download and send (2–6 s) and Telegram's 30 messages/s and 1/s per chat,
 *    the dispatcher's claim loop (every 250 ms) and the wait estimate unless the product's is
 *    present (see `estimateWait`).
 */
import {
  keyCapacity,
  rankAccountKeys,
  windowRoom,
  emptyAccountState,
  type AccountState,
  type SubmitRate,
} from '../../../apps/kie-dispatcher/src/domain/keys';
import { releaseSlot, takeKeySlot, type SlotLimits } from '../../../apps/kie-dispatcher/src/domain/slots';
import { Accounts } from '../../../sandbox/src/kie/accounts';
import { EventQueue, jain, median, pct, rng, uniform } from './sim-core';
import type { EstimateWait, FairOrder, Waiting } from './product';

const MIN = 60_000;
const SEC = 1000;

export interface EveningOptions {
  sellers: number;
  accounts: number;
  seed: number;
  fairOrder: FairOrder;
  /** The product's estimator; without it the bench's stand-in estimates. */
  estimateWait?: EstimateWait;
  /** The ideal run: no overheads, no claim loop, FIFO with first videos first (the physical limit). */
  ideal?: boolean;
  /** Share of orders of 1, 3 and 5 videos. */
  mix?: [number, number, number];
  heavySellers?: number;
  heavyOrders?: number;
  /** The evening's arrivals squeezed into this many minutes (default 120: 20:00–22:00). */
  arrivalMinutes?: number;
  /** Rows in hand at once over the dispatcher's replicas (default 8: one replica). */
  inHand?: number;
  /** Estimate each order's wait (default true; the saturation run skips it). */
  estimates?: boolean;
}

/** The product's limits (dispatcher defaults, KIE's documented limits). */
const RATE: SubmitRate = { limit: 20, windowMs: 10 * SEC };
const MAX_IN_FLIGHT = 100;
const KIE_RUNNING_CAP = 100;
const PARALLEL = 3;
const IN_HAND = 8;
const SLOT_TTL = 30 * SEC;
const GEN_MIN = 2 * MIN;
const GEN_MAX = 5 * MIN;
const TICK = 250;
const TG_GLOBAL_GAP = SEC / 30;
const TG_CHAT_GAP = SEC;
/** Messages an order costs besides its videos (issue 10's target: 3 + N). */
const STATUS_MESSAGES = 3;

interface Video extends Waiting {
  n: number;
  genMs: number;
  confirmAt: number;
  submitAt?: number;
  account?: number;
  kieDoneAt?: number;
  deliveredAt?: number;
  notBefore: number;
}

interface Order {
  id: string;
  seller: string;
  n: number;
  confirmAt: number;
  videos: Video[];
  uploadDoneAt?: number;
  estFirst?: number;
  estLast?: number;
  heavy: boolean;
}

type Ev =
  | { k: 'confirm'; o: Order }
  | { k: 'queued'; o: Order }
  | { k: 'dispatch' }
  | { k: 'uploaded'; v: Video }
  | { k: 'arrive'; v: Video; key: string }
  | { k: 'answer'; v: Video; key: string; ok: boolean }
  | { k: 'done'; v: Video }
  | { k: 'callback'; v: Video }
  | { k: 'send'; v: Video }
  | { k: 'sample' };

export interface EveningResult {
  sellers: number;
  accounts: number;
  ideal: boolean;
  orders: number;
  videos: number;
  /** Minutes, real (unscaled) time. */
  first: { p50: number; p95: number; p99: number };
  last: { p50: number; p95: number; p99: number };
  /** Queue depth (videos waiting, not yet claimed) and running tasks per sampled minute. */
  depth: { minute: number; waiting: number; running: number }[];
  /** Per confirmed order: minute of the evening and its wait to the first video. */
  waits: { minute: number; first: number; last: number; heavy: boolean }[];
  /**
   * Per account, while the accounts' limits held the queue back: `binding`, the time-average
   * share of its binding limit in use (running tasks of 100, or the 20/10 s window, whichever
   * is fuller); `throughput`, submissions against min(20/10 s, 100 / mean generation time);
   * `occupancy`, running tasks of 100; `rate`, submissions of the 20/10 s budget.
   */
  utilisation: { account: string; binding: number; throughput: number; rate: number; occupancy: number; submitted: number }[];
  backloggedMin: number;
  /** Minutes the claim loop's 8 rows in hand held the queue back while the accounts had room. */
  handBoundMin: number;
  arrivalMinutes: number;
  inHand: number;
  rejected429: number;
  jainAll: number;
  jainCohort: number;
  estimateMaeFirst: number;
  estimateMaeLast: number;
  heavyFirstP50: number;
  othersFirstP50: number;
  /** A seller's later orders (not their first of the evening) against first orders: p50 / p95 of confirm → first video. */
  repeatFirst: { n: number; p50: number; p95: number };
  newcomerFirst: { n: number; p50: number; p95: number };
  telegram: { messages: number; perOrder: number; maxPerSecond: number };
  lastDeliveryMin: number;
  wallMs: number;
}

/** Arrival density over the evening (minutes 0–120 = 20:00–22:00 Moscow): a base and a peak at 21:00. */
const density = (m: number) => 0.25 + Math.exp(-(((m - 60) / 22) ** 2));

function arrivals(r: () => number, sellers: number, minutes: number): number[] {
  const out: number[] = [];
  while (out.length < sellers) {
    const m = r() * 120;
    if (r() * 1.25 < density(m)) out.push((m * MIN * minutes) / 120);
  }
  return out.sort((a, b) => a - b);
}

function sizeOf(r: () => number, mix: [number, number, number]): number {
  const x = r();
  return x < mix[0] ? 1 : x < mix[0] + mix[1] ? 3 : 5;
}

/** The orders of the evening: one per seller, a second for some, many for a few heavy sellers. */
export function eveningOrders(o: EveningOptions): Order[] {
  const r = rng(o.seed);
  const mix = o.mix ?? [0.55, 0.3, 0.15];
  const orders: Order[] = [];
  const add = (seller: string, at: number, n: number, heavy = false) => {
    const id = `o${orders.length}`;
    const order: Order = { id, seller, n, confirmAt: at, videos: [], heavy };
    for (let i = 1; i <= n; i++)
      order.videos.push({
        id: `${id}.${i}`,
        seller,
        order: id,
        index: i,
        queuedAt: 0,
        n,
        genMs: uniform(r, GEN_MIN, GEN_MAX),
        confirmAt: at,
        notBefore: 0,
      });
    orders.push(order);
  };
  const times = arrivals(r, o.sellers, o.arrivalMinutes ?? 120);
  const heavy = o.heavySellers ?? 10;
  times.forEach((at, i) => {
    const seller = `s${i}`;
    if (i % Math.floor(o.sellers / heavy) === 0) {
      // A heavy seller: a series of 5-video orders a few minutes apart.
      let t = at;
      for (let k = 0; k < (o.heavyOrders ?? 10); k++) {
        add(seller, t, 5, true);
        t += uniform(r, 0.5, 4) * MIN;
      }
      return;
    }
    add(seller, at, sizeOf(r, mix));
    const span = ((o.arrivalMinutes ?? 120) / 120) * MIN;
    if (r() < 0.1) add(seller, Math.min(120 * span, at + uniform(r, 5, 40) * span), sizeOf(r, mix));
  });
  return orders.sort((a, b) => a.confirmAt - b.confirmAt);
}

export function simulateEvening(o: EveningOptions): EveningResult {
  const wall = performance.now();
  const ideal = o.ideal ?? false;
  const inHandMax = o.inHand ?? IN_HAND;
  const r = rng(o.seed * 7919 + o.accounts);
  const orders = eveningOrders(o);
  const heavySellers = new Set(orders.filter((x) => x.heavy).map((x) => x.seller));
  const videos = orders.flatMap((x) => x.videos);
  const q = new EventQueue<Ev>();
  for (const x of orders) q.push(x.confirmAt, { k: 'confirm', o: x });
  const accountNames = Array.from({ length: o.accounts }, (_, i) => `acct${i + 1}`);
  const keyOf = (a: number) => `${accountNames[a]}-key`;
  const accountOfKey = new Map(accountNames.map((n, i) => [keyOf(i), i]));
  const state: AccountState[] = accountNames.map(() => emptyAccountState());
  const inFlight = accountNames.map(() => 0);
  const kieRunning = accountNames.map(() => 0);
  const kie = new Accounts(Object.fromEntries(accountNames.map((n, i) => [n, [keyOf(i)]])), Number.MAX_SAFE_INTEGER);
  const waiting = new Set<Video>();
  // The fair order of a snapshot stays valid as its head is claimed (fair-queue.ts), so it is
  // computed again only when videos joined the queue, and at most once per simulated second
  // (a claim loop that sees new arrivals a second late; sorting 10,000 waiting videos at every
  // 250 ms tick would not fit the bench's time). Until then newcomers wait at the end.
  let ranked: Video[] | null = null;
  let rankedAt = Number.NEGATIVE_INFINITY;
  let stale = false;
  const refreshMs = ideal ? 0 : SEC;
  const enqueue = (v: Video) => {
    waiting.add(v);
    if (ranked) {
      ranked.push(v);
      stale = true;
    }
  };
  /** A claimed video that could not be sent goes back where it was: the head of the order. */
  const putBack = (v: Video) => {
    waiting.add(v);
    ranked?.unshift(v);
  };
  const rank = (now: number) => {
    ranked = order([...waiting]);
    rankedAt = now;
    stale = false;
    return ranked;
  };
  const served = new Map<string, number>();
  let turn = 0;
  let inHand = 0;
  /** Claim-loop ticks already scheduled (one event per tick time). */
  const ticks = new Set<number>();
  let rejected429 = 0;
  const tgChat = new Map<string, number>();
  const tgSlots = new Set<number>();
  const tgPerSecond = new Map<number, number>();
  let tgMessages = 0;
  const recentGen: number[] = [];

  // Utilisation while backlogged: the last claim left videos waiting that no limit let through.
  let limitBound = false;
  /** The claim loop's rows in hand, not the accounts, held the queue back. */
  let handBound = false;
  let handMs = 0;
  let backlogMs = 0;
  let lastT = 0;
  const occ = accountNames.map(() => 0);
  const busy = accountNames.map(() => 0);
  const subBacklog = accountNames.map(() => 0);
  const submitted = accountNames.map(() => 0);
  const depth: EveningResult['depth'] = [];

  const idealOrder = (ws: readonly Video[]) =>
    [...ws].sort((a, b) => (a.index > 1 ? 1 : 0) - (b.index > 1 ? 1 : 0) || a.confirmAt - b.confirmAt || a.index - b.index);
  const order = (ws: readonly Video[]) => (ideal ? idealOrder(ws) : o.fairOrder(ws, served));

  const requestDispatch = (now: number) => {
    const at = ideal ? now : Math.ceil(now / TICK) * TICK;
    if (ticks.has(at)) return;
    ticks.add(at);
    q.push(at, { k: 'dispatch' });
  };

  /**
   * Telegram: a message takes the first free 1/30 s slot from the moment its chat may send
   * again (1 s after its last one); the global limit reserves slots, so a chat that waits
   * does not hold back the others.
   */
  const tgSend = (now: number, chat: string): number => {
    let slot = Math.ceil(Math.max(now, (tgChat.get(chat) ?? -Infinity) + TG_CHAT_GAP) / TG_GLOBAL_GAP);
    while (tgSlots.has(slot)) slot++;
    tgSlots.add(slot);
    const at = slot * TG_GLOBAL_GAP;
    tgChat.set(chat, at);
    const s = Math.floor(at / SEC);
    tgPerSecond.set(s, (tgPerSecond.get(s) ?? 0) + 1);
    tgMessages++;
    return at;
  };

  /** Throughput the stand-in estimate assumes: each account at its binding limit, with measured generation times. */
  const capacityPerMs = () => {
    const gen = recentGen.length > 0 ? median(recentGen.slice(-200)) : (GEN_MIN + GEN_MAX) / 2;
    return o.accounts * Math.min(RATE.limit / RATE.windowMs, MAX_IN_FLIGHT / gen);
  };
  const standInEstimate = (now: number, positions: number[]): number[] => {
    const gen = recentGen.length > 0 ? median(recentGen.slice(-200)) : (GEN_MIN + GEN_MAX) / 2;
    const free = inFlight.reduce((s, f, a) => s + Math.max(0, MAX_IN_FLIGHT - f - state[a]!.pending.length), 0);
    const overhead = 30 * SEC;
    return positions.map((p) => Math.max(0, p + 1 - free) / capacityPerMs() + gen + overhead);
  };
  /**
   * The product's estimate, fed as the dispatcher feeds it: submissions over the last minute,
   * whether videos waited throughout it, the accounts' 20/10 s budget, the median of recent
   * generation times.
   */
  const submitTimes: number[] = [];
  let lastEmptyAt = 0;
  const estimateWait = (now: number, positions: number[]): number[] => {
    if (!o.estimateWait) return standInEstimate(now, positions);
    while (submitTimes.length > 0 && submitTimes[0]! <= now - MIN) submitTimes.shift();
    const input = {
      measuredPerSecond: submitTimes.length / 60,
      backlogged: now - lastEmptyAt >= MIN,
      budgetPerSecond: (o.accounts * RATE.limit * SEC) / RATE.windowMs,
      generationSeconds: recentGen.length > 0 ? median(recentGen.slice(-200)) / SEC : null,
    };
    return positions.map((position) => (o.estimateWait!({ ...input, position }).waitSeconds ?? Number.NaN) * SEC);
  };

  /** When a limit opens next for the queue: a window slot, a cool-down's end, a put-back row. */
  const nextOpening = (now: number) => {
    let opening = Number.POSITIVE_INFINITY;
    accountNames.forEach((_, a) => {
      if (inFlight[a]! + state[a]!.pending.length >= MAX_IN_FLIGHT) return; // a callback reopens it
      for (const t of state[a]!.recent) if (t + RATE.windowMs > now) opening = Math.min(opening, t + RATE.windowMs);
      if ((state[a]!.coolUntil ?? 0) > now) opening = Math.min(opening, state[a]!.coolUntil!);
    });
    for (const v of waiting) if (v.notBefore > now) opening = Math.min(opening, v.notBefore);
    return opening;
  };

  const dispatch = (now: number) => {
    ticks.delete(now);
    limitBound = false;
    handBound = false;
    if (waiting.size === 0) return;
    // The fair order of a snapshot stays valid as its head is claimed (fair-queue.ts), so it
    // is computed again only when a video joins the queue.
    if (ranked === null || (stale && now - rankedAt >= refreshMs)) rank(now);
    else if (stale) requestDispatch(rankedAt + refreshMs);
    const due = ranked!.filter((v) => v.notBefore <= now);
    let accountRoom = 0;
    accountNames.forEach((_, a) => {
      accountRoom += keyCapacity(state[a]!, keyOf(a), inFlight[a]!, MAX_IN_FLIGHT, now, RATE, ideal ? Infinity : PARALLEL);
    });
    const handRoom = ideal ? Number.POSITIVE_INFINITY : inHandMax - inHand;
    const room = Math.min(accountRoom, handRoom);
    // Which bound held the queue back: the accounts' limits, or the claim loop's rows in hand.
    limitBound = due.length > room && accountRoom <= handRoom;
    handBound = due.length > room && handRoom < accountRoom;
    if (room > 0 && due.length > 0) {
      const claimed = due.slice(0, room);
      for (const v of claimed) {
        waiting.delete(v);
        served.set(v.seller, ++turn);
        inHand++;
        const ord = orders[Number(v.order.slice(1))]!;
        if (ideal) {
          q.push(now, { k: 'uploaded', v });
          continue;
        }
        if (ord.uploadDoneAt === undefined) ord.uploadDoneAt = now + uniform(r, 0.5, 2) * SEC;
        q.push(Math.max(now, ord.uploadDoneAt), { k: 'uploaded', v });
      }
    }
    ranked = ranked!.filter((v) => waiting.has(v));
    if (waiting.size > 0) {
      const opening = nextOpening(now);
      if (opening < Number.POSITIVE_INFINITY) requestDispatch(opening);
    }
  };

  const trackTo = (now: number) => {
    const dt = now - lastT;
    if (waiting.size === 0) lastEmptyAt = now;
    if (dt > 0 && handBound) handMs += dt;
    if (dt > 0 && limitBound) {
      backlogMs += dt;
      for (let a = 0; a < o.accounts; a++) {
        occ[a]! += kieRunning[a]! * dt;
        // The share of the binding limit in use: running tasks of the cap, or the rate window.
        const windowUse = (RATE.limit - windowRoom(state[a]!, lastT, RATE)) / RATE.limit;
        busy[a]! += Math.min(1, Math.max(kieRunning[a]! / KIE_RUNNING_CAP, windowUse)) * dt;
      }
    }
    lastT = now;
  };

  // Orders are indexed by position for the upload cache.
  orders.forEach((x, i) => (x.id = `o${i}`));
  for (const x of orders) for (const v of x.videos) v.order = x.id;
  q.push(0, { k: 'sample' });

  let now = 0;
  let pendingVideos = videos.length;
  for (let e = q.pop(); e !== undefined; e = q.pop()) {
    now = e.at;
    trackTo(now);
    const ev = e.item;
    switch (ev.k) {
      case 'confirm': {
        // The confirmation, and "taken into work" edited into "generation started" (3 messages).
        if (!ideal) for (let i = 0; i < STATUS_MESSAGES; i++) tgSend(now, ev.o.seller);
        q.push(ideal ? now : now + uniform(r, 3, 8) * SEC, { k: 'queued', o: ev.o });
        break;
      }
      case 'queued': {
        for (const v of ev.o.videos) {
          v.queuedAt = now;
          v.notBefore = now;
          enqueue(v);
        }
        if (!ideal && o.estimates !== false) {
          // "Generation started": the order's place in the fair order, and the estimate.
          const all = rank(now);
          const pos = ev.o.videos.map((v) => all.indexOf(v));
          const [f, l] = estimateWait(now, [Math.min(...pos), Math.max(...pos)]);
          ev.o.estFirst = now - ev.o.confirmAt + f!;
          ev.o.estLast = now - ev.o.confirmAt + l!;
        }
        requestDispatch(now);
        break;
      }
      case 'dispatch':
        dispatch(now);
        break;
      case 'uploaded': {
        const key = rankAccountKeys(
          accountNames.map((account, a) => ({ account, state: state[a]!, inFlight: inFlight[a]!, keys: [keyOf(a)] })),
          { now, rate: RATE, maxInFlight: MAX_IN_FLIGHT, parallel: ideal ? Infinity : PARALLEL },
        )[0];
        const a = key === undefined ? undefined : accountOfKey.get(key)!;
        const limits: SlotLimits = {
          rate: RATE,
          parallel: ideal ? Infinity : PARALLEL,
          maxInFlight: MAX_IN_FLIGHT,
          inFlight: a === undefined ? 0 : inFlight[a]!,
          ttlMs: SLOT_TTL,
        };
        const next = a === undefined ? null : takeKeySlot(state[a]!, key!, now, ev.v.id, limits);
        if (a === undefined || next === null) {
          // No key has room after all (others took it meanwhile): back to the queue, 1 s later.
          inHand--;
          ev.v.notBefore = ideal ? now : now + SEC;
          putBack(ev.v);
          requestDispatch(ideal ? now : ev.v.notBefore);
          break;
        }
        state[a] = next;
        q.push(ideal ? now : now + uniform(r, 0.15, 0.6) * SEC, { k: 'arrive', v: ev.v, key: key! });
        break;
      }
      case 'arrive': {
        const a = accountOfKey.get(ev.key)!;
        const name = accountNames[a]!;
        const refused =
          kie.windowFull(name, ev.key, { tasks: RATE.limit, windowMs: RATE.windowMs }, now) ||
          (kieRunning[a]! >= KIE_RUNNING_CAP && kie.rateLimited(name, ev.key));
        if (refused) rejected429++;
        else {
          kie.charge(name, ev.key, 1, now, RATE.windowMs);
          kieRunning[a]!++;
          submitted[a]!++;
          if (limitBound) subBacklog[a]!++;
          ev.v.submitAt = now;
          submitTimes.push(now);
          ev.v.account = a;
          q.push(now + ev.v.genMs, { k: 'done', v: ev.v });
        }
        q.push(ideal ? now : now + uniform(r, 0.15, 0.6) * SEC, { k: 'answer', v: ev.v, key: ev.key, ok: !refused });
        break;
      }
      case 'answer': {
        const a = accountOfKey.get(ev.key)!;
        state[a] = releaseSlot(state[a]!, ev.v.id, now, RATE) ?? state[a]!;
        inHand--;
        if (ev.ok) inFlight[a]!++;
        else {
          // A 429 cools the account down (the dispatcher's classify → cool-down) and the video waits again.
          state[a] = { ...state[a]!, coolUntil: now + 10 * SEC };
          ev.v.notBefore = now;
          putBack(ev.v);
        }
        requestDispatch(now);
        break;
      }
      case 'done': {
        const a = ev.v.account!;
        kieRunning[a]!--;
        ev.v.kieDoneAt = now;
        recentGen.push(ev.v.genMs);
        q.push(ideal ? now : now + uniform(r, 0.2, 1) * SEC, { k: 'callback', v: ev.v });
        break;
      }
      case 'callback': {
        inFlight[ev.v.account!]!--;
        requestDispatch(now);
        if (ideal) {
          ev.v.deliveredAt = now;
          pendingVideos--;
        } else q.push(now + uniform(r, 2, 6) * SEC, { k: 'send', v: ev.v });
        break;
      }
      case 'send':
        ev.v.deliveredAt = tgSend(now, ev.v.seller);
        pendingVideos--;
        break;
      case 'sample':
        depth.push({
          minute: now / MIN,
          waiting: waiting.size,
          running: kieRunning.reduce((s, x) => s + x, 0),
        });
        if (pendingVideos > 0) q.push(now + MIN, { k: 'sample' });
        break;
    }
  }

  const firstOf = (x: Order) => Math.min(...x.videos.map((v) => v.deliveredAt!)) - x.confirmAt;
  const lastOf = (x: Order) => Math.max(...x.videos.map((v) => v.deliveredAt!)) - x.confirmAt;
  const firsts = orders.map(firstOf);
  const lasts = orders.map(lastOf);
  const q3 = (xs: number[]) => ({ p50: pct(xs, 0.5) / MIN, p95: pct(xs, 0.95) / MIN, p99: pct(xs, 0.99) / MIN });

  // Jain's index of each seller's mean wait for a first video; and within 5-minute arrival
  // cohorts (sellers who confirmed together), which separates the scheduler's fairness from
  // the evening's shape (a seller at 21:00 waits longer than one at 20:00 under any order).
  const bySeller = new Map<string, { sum: number; n: number; at: number }>();
  orders.forEach((x, i) => {
    const s = bySeller.get(x.seller) ?? { sum: 0, n: 0, at: x.confirmAt };
    s.sum += firsts[i]!;
    s.n++;
    bySeller.set(x.seller, s);
  });
  const sellerWaits = [...bySeller.values()].map((s) => ({ w: s.sum / s.n, at: s.at }));
  const cohorts = new Map<number, number[]>();
  for (const s of sellerWaits) {
    const c = Math.floor(s.at / (5 * MIN));
    cohorts.set(c, [...(cohorts.get(c) ?? []), s.w]);
  }
  let cohortSum = 0;
  for (const ws of cohorts.values()) cohortSum += jain(ws) * ws.length;

  const estimated = orders.filter((x) => x.estFirst !== undefined);
  const heavyFirst = orders.filter((x) => heavySellers.has(x.seller)).map(firstOf);
  const othersFirst = orders.filter((x) => !heavySellers.has(x.seller)).map(firstOf);
  const firstOrderOf = new Map<string, Order>();
  for (const x of orders) if (!firstOrderOf.has(x.seller)) firstOrderOf.set(x.seller, x);
  const repeat = orders.filter((x) => firstOrderOf.get(x.seller) !== x).map(firstOf);
  const newcomer = orders.filter((x) => firstOrderOf.get(x.seller) === x).map(firstOf);
  const mu = Math.min(RATE.limit / RATE.windowMs, KIE_RUNNING_CAP / ((GEN_MIN + GEN_MAX) / 2));
  return {
    sellers: o.sellers,
    accounts: o.accounts,
    ideal,
    orders: orders.length,
    videos: videos.length,
    first: q3(firsts),
    last: q3(lasts),
    depth,
    waits: orders.map((x, i) => ({
      minute: x.confirmAt / MIN,
      first: firsts[i]! / MIN,
      last: lasts[i]! / MIN,
      heavy: heavySellers.has(x.seller),
    })),
    utilisation: accountNames.map((account, a) => ({
      account,
      occupancy: backlogMs > 0 ? occ[a]! / (KIE_RUNNING_CAP * backlogMs) : Number.NaN,
      rate: backlogMs > 0 ? subBacklog[a]! / ((RATE.limit / RATE.windowMs) * backlogMs) : Number.NaN,
      binding: backlogMs > 0 ? busy[a]! / backlogMs : Number.NaN,
      throughput: backlogMs > 0 ? subBacklog[a]! / (mu * backlogMs) : Number.NaN,
      submitted: submitted[a]!,
    })),
    backloggedMin: backlogMs / MIN,
    handBoundMin: handMs / MIN,
    arrivalMinutes: o.arrivalMinutes ?? 120,
    inHand: inHandMax,
    rejected429,
    jainAll: jain(sellerWaits.map((s) => s.w)),
    jainCohort: cohortSum / sellerWaits.length,
    estimateMaeFirst: median(estimated.map((x) => Math.abs(x.estFirst! - firstOf(x)))) / MIN,
    estimateMaeLast: median(estimated.map((x) => Math.abs(x.estLast! - lastOf(x)))) / MIN,
    heavyFirstP50: median(heavyFirst) / MIN,
    repeatFirst: { n: repeat.length, p50: pct(repeat, 0.5) / MIN, p95: pct(repeat, 0.95) / MIN },
    newcomerFirst: { n: newcomer.length, p50: pct(newcomer, 0.5) / MIN, p95: pct(newcomer, 0.95) / MIN },
    othersFirstP50: median(othersFirst) / MIN,
    telegram: {
      messages: tgMessages,
      perOrder: tgMessages / orders.length,
      maxPerSecond: Math.max(0, ...tgPerSecond.values()),
    },
    lastDeliveryMin: Math.max(...videos.map((v) => v.deliveredAt!)) / MIN,
    wallMs: performance.now() - wall,
  };
}
