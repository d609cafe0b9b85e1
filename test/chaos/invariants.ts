import { SERVICES } from '@neurocards/launcher';
import type { SimMessage } from '@neurocards/sandbox';
import type { FaultRecord } from './faults';
import type { ServiceExit } from './product';
import type { SellerResult } from './sellers';
import type { Snapshot } from './state';
import { gatewayText, notifierText } from './texts';

export interface Check {
  name: string;
  pass: boolean;
  summary: string;
  /** Evidence: ids and numbers, so a FAIL can be followed up without re-running. */
  details: string[];
}

export interface RunFacts {
  /** Credits the suite granted per seller. */
  grants: Map<number, number>;
  sellers: SellerResult[];
  faults: FaultRecord[];
  exits: ServiceExit[];
  settled: boolean;
  minVideos: number;
  t0: number;
  kieCallbacks: { sent: number; duplicates: number };
}

const FINAL_ORDER = new Set(['completed', 'rejected']);
const orderNumber = (orderId: string) => orderId.slice(0, 8).toUpperCase();
const short = (id: string) => id.slice(0, 8);
const groupCount = <T>(items: T[], key: (t: T) => string | number) => {
  const m = new Map<string | number, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
};
const cap = (lines: string[], max = 25) =>
  lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more`] : lines;

/** Every invariant of the chaos run, read from the final state; pure, so it can be reasoned about. */
export function checkInvariants(s: Snapshot, f: RunFacts): Check[] {
  const sellers = new Set(f.sellers.map((r) => r.userId));
  const jobsOf = new Map<string, Snapshot['jobs']>();
  for (const j of s.jobs) jobsOf.set(j.orderId, [...(jobsOf.get(j.orderId) ?? []), j]);
  const orderById = new Map(s.orders.map((o) => [o.orderId, o]));
  const ledgerByJob = new Map<string, Snapshot['ledger']>();
  for (const l of s.ledger) if (l.jobId) ledgerByJob.set(l.jobId, [...(ledgerByJob.get(l.jobId) ?? []), l]);
  const deliveryByKey = new Map(s.deliveries.map((d) => [d.key, d]));
  const chatIds = (chatId: number) => new Set((s.chats.get(chatId) ?? []).map((m) => m.messageId));
  const userOfOrder = (orderId: string) => orderById.get(orderId)?.userId;
  /** Credits one video of the order costs, as billing reserved it. */
  const priceOf = (orderId: string) => s.holds.find((h) => h.orderId === orderId)?.perVideo ?? 1;

  // 1. Videos
  const videoProblems: string[] = [];
  let delivered = 0;
  let failed = 0;
  let open = 0;
  for (const j of s.jobs) {
    const rows = ledgerByJob.get(j.jobId) ?? [];
    const captures = rows.filter((r) => r.kind === 'capture').length;
    const releases = rows.filter((r) => r.kind === 'release').length;
    const user = userOfOrder(j.orderId)!;
    const tag = `job ${j.jobId} (order ${short(j.orderId)}, user ${user})`;
    if (j.state === 'delivered') {
      delivered++;
      if (captures !== 1 || releases !== 0)
        videoProblems.push(`${tag}: delivered, but ${captures} capture(s), ${releases} release(s)`);
      const d = deliveryByKey.get(`job:${j.jobId}:video`);
      if (d?.status !== 'sent' || d.messageId === null || !chatIds(d.chatId).has(d.messageId))
        videoProblems.push(
          `${tag}: delivered, but no video in the chat (delivery ${d?.status ?? 'missing'})`,
        );
    } else if (j.state === 'failed') {
      failed++;
      if (releases !== 1 || captures !== 0)
        videoProblems.push(
          `${tag}: failed (${j.failureReason}), but ${releases} release(s), ${captures} capture(s)`,
        );
      const d = deliveryByKey.get(`job:${j.jobId}:failed`);
      if (d?.status !== 'sent' && d?.status !== 'undeliverable')
        videoProblems.push(
          `${tag}: failed, but the seller was not told (delivery ${d?.status ?? 'missing'})`,
        );
    } else {
      open++;
      videoProblems.push(`${tag}: still ${j.state}`);
    }
  }
  for (const o of s.orders)
    if (o.status !== 'rejected' && o.count !== null && (jobsOf.get(o.orderId)?.length ?? 0) !== o.count)
      videoProblems.push(
        `order ${o.orderId}: ${o.count} videos ordered, ${jobsOf.get(o.orderId)?.length ?? 0} jobs`,
      );
  const videos: Check = {
    name: 'every video ends exactly once: delivered and captured, or failed and released',
    pass: videoProblems.length === 0,
    summary: `${s.jobs.length} videos: ${delivered} delivered, ${failed} failed, ${open} not finished; ${videoProblems.length} problem(s)`,
    details: cap(videoProblems),
  };

  // 2. Money
  const moneyProblems: string[] = [];
  const sums = new Map<number, { grant: number; hold: number; capture: number; release: number }>();
  for (const l of s.ledger) {
    const x = sums.get(l.userId) ?? { grant: 0, hold: 0, capture: 0, release: 0 };
    x[l.kind as 'grant'] += l.amount;
    sums.set(l.userId, x);
    if (l.balanceAfter < 0 || l.heldAfter < 0)
      moneyProblems.push(`user ${l.userId}: negative after a ${l.kind}`);
  }
  let totalGranted = 0;
  let totalCaptured = 0;
  let totalHeld = 0;
  for (const a of s.accounts) {
    const x = sums.get(a.userId) ?? { grant: 0, hold: 0, capture: 0, release: 0 };
    const balance = a.granted - a.captured - a.held;
    totalGranted += a.granted;
    totalCaptured += a.captured;
    totalHeld += a.held;
    if (a.granted !== x.grant || a.captured !== x.capture || a.held !== x.hold - x.capture - x.release)
      moneyProblems.push(
        `user ${a.userId}: account ${a.granted}/${a.captured}/${a.held} (granted/captured/held) ≠ ledger ${x.grant}/${x.capture}/${x.hold - x.capture - x.release}`,
      );
    if (balance < 0) moneyProblems.push(`user ${a.userId}: balance ${balance}`);
    if (a.held !== 0) moneyProblems.push(`user ${a.userId}: ${a.held} credit(s) still held`);
    if (sellers.has(a.userId)) {
      const granted = f.grants.get(a.userId) ?? 0;
      const deliveredToUser = s.jobs.filter(
        (j) => j.state === 'delivered' && userOfOrder(j.orderId) === a.userId,
      );
      const price = deliveredToUser.reduce((sum, j) => sum + priceOf(j.orderId), 0);
      if (a.granted !== granted)
        moneyProblems.push(`user ${a.userId}: granted ${a.granted}, the operator granted ${granted}`);
      if (a.captured !== price)
        moneyProblems.push(
          `user ${a.userId}: paid ${a.captured} credit(s) for ${deliveredToUser.length} delivered video(s) costing ${price}`,
        );
    }
  }
  for (const userId of sellers)
    if (!s.accounts.some((a) => a.userId === userId))
      moneyProblems.push(`user ${userId}: no account (grant lost)`);
  const openHolds = s.holds.filter((h) => h.captured + h.released !== h.amount);
  for (const h of openHolds)
    moneyProblems.push(
      `hold of order ${h.orderId} (user ${h.userId}): ${h.amount} held, ${h.captured} captured, ${h.released} released`,
    );
  const money: Check = {
    name: 'every balance = grants − captured − held, never negative, no hold left open',
    pass: moneyProblems.length === 0,
    summary: `${s.accounts.length} accounts: granted ${totalGranted}, captured ${totalCaptured}, held ${totalHeld}; ${openHolds.length} open hold(s); ${moneyProblems.length} problem(s)`,
    details: cap(moneyProblems),
  };

  // 3. Nothing twice in a chat. One exception, by design (docs/design.md §6, "Delivery log
  // and crashed sends"): a video whose sendVideo was in flight when its notifier was
  // SIGKILLed may be in the chat without a record, and is sent again (a duplicate video is
  // better than none). Such a first copy arrives within a moment of a notifier kill.
  const notifierKills = f.faults.filter(
    (r) => r.injected && r.fault.kind === 'kill' && r.fault.services.includes('notifier'),
  );
  const inFlightAtKill = (m: SimMessage) =>
    notifierKills.some((r) => Math.abs(m.date * 1000 - r.startedAt) <= 2000);
  const allowedRepeats = new Set<SimMessage>();
  const twice: string[] = [];
  let messages = 0;
  for (const [chatId, msgs] of s.chats) {
    messages += msgs.length;
    const userOrders = s.orders.filter((o) => o.userId === chatId && o.status !== 'rejected');
    const userJobs = s.jobs.filter((j) => userOfOrder(j.orderId) === chatId);
    const vids = msgs.filter((m) => m.kind === 'video');
    // When each copy arrived, to line a repeat up with the fault that caused it.
    const when = (ms: SimMessage[]) => ms.map((m) => `+${m.date - Math.floor(f.t0 / 1000)}s`).join(', ');
    const byUrl = new Map<string, SimMessage[]>();
    for (const v of vids)
      if (v.video?.sourceUrl) byUrl.set(v.video.sourceUrl, [...(byUrl.get(v.video.sourceUrl) ?? []), v]);
    for (const [url, copies] of byUrl)
      if (copies.length === 2 && inFlightAtKill(copies[0]!)) allowedRepeats.add(copies[0]!);
      else if (copies.length > 1)
        twice.push(
          `chat ${chatId}: video ${url.split('/').pop()} sent ${copies.length} times (${when(copies)})`,
        );
    const deliveredJobs = userJobs.filter((j) => j.state === 'delivered').length;
    if (vids.length - [...allowedRepeats].filter((m) => vids.includes(m)).length > deliveredJobs)
      twice.push(`chat ${chatId}: ${vids.length} videos for ${deliveredJobs} delivered job(s)`);
    const status = msgs.map((m) => ({ m, t: notifierText(m.text) })).filter((x) => x.t);
    for (const purpose of ['order-taken', 'order-summary'] as const) {
      const byOrder = new Map<string, SimMessage[]>();
      for (const x of status.filter((y) => y.t!.purpose === purpose))
        byOrder.set(x.t!.order ?? '?', [...(byOrder.get(x.t!.order ?? '?') ?? []), x.m]);
      for (const [order, copies] of byOrder)
        if (copies.length > 1)
          twice.push(
            `chat ${chatId}: ${purpose} of order #${order} sent ${copies.length} times (${when(copies)})`,
          );
    }
    const countOf = (p: string) => status.filter((x) => x.t!.purpose === p).length;
    // One status message per order (edited in place as the order moves; design §6.1).
    const taken = countOf('order-taken');
    if (taken > userOrders.length)
      twice.push(`chat ${chatId}: ${taken} status messages for ${userOrders.length} order(s)`);
    const failedJobs = userJobs.filter((j) => j.state === 'failed').length;
    if (countOf('video-failed') > failedJobs)
      twice.push(
        `chat ${chatId}: ${countOf('video-failed')} failure messages for ${failedJobs} failed job(s)`,
      );
    if (countOf('credits-granted') > 1)
      twice.push(`chat ${chatId}: "credits granted" ${countOf('credits-granted')} times for 1 grant`);
  }
  const chats: Check = {
    name: 'no video and no status message reached a chat twice',
    pass: twice.length === 0,
    summary: `${messages} bot messages in ${s.chats.size} chats; ${twice.length} repeated; ${allowedRepeats.size} video(s) re-sent after a notifier was killed mid-send (by design)`,
    details: cap(twice),
  };

  // 4. Every update answered
  const updates = f.sellers.flatMap((r) => r.updates);
  const unanswered = updates.filter((u) => u.outcome === 'unanswered');
  const errors = updates.filter((u) => u.outcome === 'error').length;
  const abandoned = f.sellers.reduce((n, r) => n + r.abandoned, 0);
  const answered: Check = {
    name: "no seller's update went unanswered",
    pass: unanswered.length === 0,
    summary: `${updates.length} updates: ${unanswered.length} unanswered, ${errors} answered "something went wrong"; ${abandoned} order(s) abandoned by sellers`,
    details: cap(
      unanswered.map(
        (u) =>
          `user ${u.userId}: "${u.what}" at +${((u.at - f.t0) / 1000).toFixed(1)}s, no answer in ${Math.round(u.waitedMs / 1000)} s`,
      ),
    ),
  };

  // 5. No order lost or stuck
  const lost: string[] = [];
  const placedByUser = groupCount(s.placed, (p) => p.userId);
  let acknowledged = 0;
  for (const [chatId, msgs] of s.chats) {
    const acks = msgs.filter((m) => gatewayText(m.text) === 'orderSent').length;
    acknowledged += acks;
    const placed = placedByUser.get(chatId) ?? 0;
    if (acks > placed)
      lost.push(`user ${chatId}: ${acks} order(s) acknowledged in the chat, ${placed} placed`);
  }
  for (const p of s.placed) {
    const o = orderById.get(p.orderId);
    if (!o) lost.push(`order ${p.orderId} (user ${p.userId}): placed, unknown to the orchestrator`);
    const held = s.holds.some((h) => h.orderId === p.orderId);
    const rejected = s.rejections.some((r) => r.orderId === p.orderId);
    if (!held && !rejected)
      lost.push(`order ${p.orderId} (user ${p.userId}): placed, neither held nor rejected by billing`);
  }
  const stuck = s.orders.filter((o) => !FINAL_ORDER.has(o.status));
  for (const o of stuck)
    lost.push(
      `order ${o.orderId} (user ${o.userId}): stuck in ${o.status}, jobs ${(jobsOf.get(o.orderId) ?? []).map((j) => j.state).join(',')}`,
    );
  for (const o of s.orders.filter((x) => x.status === 'completed')) {
    const summaries = (s.chats.get(o.userId) ?? []).filter((m) => {
      const t = notifierText(m.text);
      return t?.purpose === 'order-summary' && t.order === orderNumber(o.orderId);
    });
    if (summaries.length === 0)
      lost.push(`order ${o.orderId} (user ${o.userId}): completed, but no summary in the chat`);
  }
  const orders: Check = {
    name: 'no order is lost or stuck',
    pass: lost.length === 0,
    summary: `${acknowledged} acknowledged, ${s.placed.length} placed, ${s.orders.filter((o) => o.status === 'completed').length} completed, ${s.orders.filter((o) => o.status === 'rejected').length} rejected, ${stuck.length} stuck; ${lost.length} problem(s)`,
    details: cap(lost),
  };

  // 6. DEAD
  const deadProblems: string[] = [];
  const brokenOrders = new Set([...stuck.map((o) => o.orderId)]);
  for (const p of s.parked) {
    const o = p.orderId ? orderById.get(p.orderId) : undefined;
    const tag = `#${p.seq} ${p.consumer} ${p.subject}`;
    if (!p.reason) deadProblems.push(`${tag}: no reason`);
    else if (p.orderId && (!o || !FINAL_ORDER.has(o.status) || brokenOrders.has(p.orderId)))
      deadProblems.push(`${tag}: order ${p.orderId} did not end cleanly (reason: ${p.reason})`);
  }
  const reasons = [...groupCount(s.parked, (p) => `${p.consumer}: ${p.reason}`)].map(
    ([r, c]) => `${c}× ${r}`,
  );
  const dead: Check = {
    name: 'every parked message in DEAD is accounted for with its reason',
    pass: deadProblems.length === 0,
    summary: `${s.parked.length} parked; ${deadProblems.length} unaccounted`,
    details: cap([...deadProblems, ...reasons.map((r) => `parked: ${r}`)]),
  };

  // 7. Reconciliation across the services' own records and the simulator
  const rec: string[] = [];
  for (const h of s.holds) {
    const o = orderById.get(h.orderId);
    if (!o || o.status === 'rejected')
      rec.push(`hold ${h.orderId}: order ${o ? 'rejected' : 'unknown'} in the orchestrator`);
    else {
      if ((o.count ?? 0) * h.perVideo !== h.amount)
        rec.push(`order ${h.orderId}: ${o.count} ordered at ${h.perVideo} credit(s), ${h.amount} held`);
      const js = jobsOf.get(h.orderId) ?? [];
      const d = js.filter((j) => j.state === 'delivered').length;
      const x = js.filter((j) => j.state === 'failed').length;
      if (h.captured !== d * h.perVideo || h.released !== x * h.perVideo)
        rec.push(
          `order ${h.orderId}: ${d} delivered / ${x} failed, billing captured ${h.captured} / released ${h.released}`,
        );
    }
  }
  for (const o of s.orders) {
    const held = s.holds.some((h) => h.orderId === o.orderId);
    const rejected = s.rejections.some((r) => r.orderId === o.orderId);
    if (o.status === 'rejected' ? !rejected || held : !held)
      rec.push(`order ${o.orderId}: ${o.status}, billing hold ${held}, rejection ${rejected}`);
    if (o.status === 'completed') {
      const js = jobsOf.get(o.orderId) ?? [];
      const d = js.filter((j) => j.state === 'delivered').length;
      if (o.delivered !== d || o.failed !== js.length - d)
        rec.push(
          `order ${o.orderId}: completed with ${o.delivered} delivered / ${o.failed} failed, jobs say ${d} / ${js.length - d}`,
        );
    }
  }
  const jobIds = new Set(s.jobs.map((j) => j.jobId));
  for (const l of s.ledger)
    if (l.jobId && !jobIds.has(l.jobId))
      rec.push(`ledger ${l.kind} of job ${l.jobId}: no such job in the orchestrator`);
  const sentIds = new Map<number, Set<number>>();
  for (const d of s.deliveries) {
    if (d.status === 'sending') rec.push(`delivery ${d.key}: still 'sending' after the run settled`);
    if (d.status === 'sent' && d.messageId !== null) {
      sentIds.set(d.chatId, (sentIds.get(d.chatId) ?? new Set()).add(d.messageId));
      if (s.chats.has(d.chatId) && !chatIds(d.chatId).has(d.messageId))
        rec.push(`delivery ${d.key}: logged as message ${d.messageId}, not in chat ${d.chatId}`);
    }
  }
  for (const [chatId, msgs] of s.chats)
    for (const m of msgs)
      if (
        (m.kind === 'video' || notifierText(m.text)) &&
        !sentIds.get(chatId)?.has(m.messageId) &&
        !allowedRepeats.has(m)
      )
        rec.push(
          `chat ${chatId}: message ${m.messageId} (${m.kind === 'video' ? 'video' : notifierText(m.text)!.purpose}) sent outside the delivery log`,
        );
  for (const [schema, c] of Object.entries(s.outbox))
    if (c > 0) rec.push(`${schema}.outbox: ${c} event(s) never published`);
  const reconciliation: Check = {
    name: 'the reconciliation is clean',
    pass: rec.length === 0,
    summary: `${s.holds.length} holds, ${s.orders.length} orders, ${s.ledger.length} ledger rows, ${s.deliveries.length} deliveries cross-checked; ${rec.length} mismatch(es)`,
    details: cap(rec),
  };

  // 8. Services stayed up unless killed
  const ownExits = f.exits.filter((e) => !e.injected);
  const exits: Check = {
    name: 'no service exited except when the suite killed it',
    pass: ownExits.length === 0,
    summary: `${f.exits.filter((e) => e.injected).length} injected kill(s), ${ownExits.length} exit(s) of the services' own`,
    details: cap(
      ownExits.map(
        (e) =>
          `${e.service} (pid ${e.pid}) exited ${e.code} at +${((e.at - f.t0) / 1000).toFixed(1)}s: ${e.lastLines.slice(-3).join(' | ').slice(0, 600)}`,
      ),
    ),
  };

  // 9. The run did what it claims
  const missing: string[] = [];
  const injected = f.faults.filter((r) => r.injected);
  for (const svc of SERVICES)
    if (!injected.some((r) => r.fault.kind === 'kill' && r.fault.services.includes(svc)))
      missing.push(`no SIGKILL of ${svc}`);
  if (!injected.some((r) => r.fault.kind === 'kill' && r.fault.services.length === 2))
    missing.push('no two services killed together');
  if (!injected.some((r) => r.fault.kind === 'nats-restart')) missing.push('no NATS restart');
  if (!injected.some((r) => r.fault.kind === 'postgres-restart')) missing.push('no PostgreSQL restart');
  if (s.jobs.length < f.minVideos) missing.push(`${s.jobs.length} videos, fewer than ${f.minVideos}`);
  for (const r of f.faults.filter((x) => !x.injected))
    missing.push(`not injected: ${r.fault.kind} (${r.note})`);
  if (!f.settled) missing.push('the run did not settle within its bound');
  const coverage: Check = {
    name: 'the run covered what it must (≥ min videos, every service SIGKILLed, NATS and PostgreSQL restarted)',
    pass: missing.length === 0,
    summary: `${s.jobs.length} videos; ${injected.length}/${f.faults.length} faults injected; KIE callbacks ${f.kieCallbacks.sent} sent incl. ${f.kieCallbacks.duplicates} duplicates; settled: ${f.settled}`,
    details: missing,
  };

  return [videos, money, chats, answered, orders, dead, reconciliation, exits, coverage];
}
