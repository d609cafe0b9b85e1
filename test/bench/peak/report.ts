/** The markdown of the peak benchmark's report. */
import type { EveningResult } from './evening';
import type { HoldingResult } from './holding';
import type { PipelineResult } from './pipeline';
import type { machine } from './proc';
import { fmt } from './sim-core';

type Evening = {
  runs: EveningResult[];
  ideal: EveningResult[];
  saturated: EveningResult[];
  source: string;
  estimateSource: string;
};
type Machine = ReturnType<typeof machine>;

const pc = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : 'n/a');
const short = (s: string) => s.replace(/\.v1$/, '');
const minUtil = (r: EveningResult) => Math.min(...r.utilisation.map((u) => u.binding));

/** Why a hop takes the time it does, for the hops that can be the slowest. */
const WHY: Record<string, string> = {
  'orders.order.placed.v1→billing.credits.reserved.v1':
    'billing holds the credits in one PostgreSQL transaction per order (row lock on the balance, ledger row, outbox row) before it publishes.',
  'billing.credits.reserved.v1→jobs.prompt.requested.v1':
    'the orchestrator creates the order and all its jobs in PostgreSQL and publishes one prompt request per video through its outbox.',
  'jobs.prompt.requested.v1→jobs.prompt.ready.v1':
    "each prompt reads the order's photo from the object store, sends it to the OpenAI simulator as a data URL and commits the job and its two events in PostgreSQL, 8 at a time per orchestrator replica (the consumer's default concurrency): a burst of orders queues here, though the GPT call itself answers at once in this run.",
  'jobs.prompt.ready.v1→kie.task.submit.v1': 'the orchestrator records the prompt and commands the submission through its outbox.',
  'kie.task.submit.v1→kie.task.submitted.v1':
    'the dispatcher queues the task in PostgreSQL, its claim loop takes at most 8 rows in hand per replica, uploads the photo and calls createTask, taking a slot in the shared `kie_keys` KV entry (revision-checked writes) around each call.',
  'kie.task.submitted.v1→kie.task.succeeded.v1':
    'KIE answers at once here, so this is the callback (or the poll) travelling back and being recorded.',
  'kie.task.succeeded.v1→jobs.video.ready.v1': 'the orchestrator records the result and publishes through its outbox.',
  'jobs.video.ready.v1→notify.video.sent.v1':
    'the notifier downloads the video and sends it to Telegram (the simulator), through its send limiter and per-chat ordering.',
  'notify.video.sent.v1→jobs.video.delivered.v1': 'the orchestrator records the delivery and publishes through its outbox.',
  'jobs.video.delivered.v1→billing.credits.captured.v1': 'billing captures the held credit in a PostgreSQL transaction.',
};

export function headline(e: Evening | undefined, p: PipelineResult | undefined, h: HoldingResult | undefined): string {
  const lines = ['## Headline', ''];
  if (e) {
    const k10 = e.runs.find((r) => r.accounts === 10) ?? e.runs[e.runs.length - 1]!;
    const [sat, sat2] = e.saturated as [EveningResult, EveningResult];
    lines.push(
      `- Utilisation of each account against its theoretical maximum at K = ${sat.accounts}, with half the sellers arriving within 5 minutes so that the accounts stay saturated: ` +
        `**${pc(minUtil(sat))}** for the lowest account while the accounts' limits held the queue back (${fmt(sat.backloggedMin, 0)} min; goal ≥ 98 %), 429s ${sat.rejected429}. ` +
        `But one dispatcher replica's 8 rows in hand held it back for another ${fmt(sat.handBoundMin, 0)} min, while first videos (a photo upload each) went out; with 16 rows in hand (two replicas) ${fmt(sat2.handBoundMin, 0)} min. ` +
        `Over the evening itself the accounts were the bottleneck only ${fmt(k10.backloggedMin)} min at K = ${k10.accounts}; ` +
        `at K = ${e.runs.filter((r) => r !== k10).map((r) => `${r.accounts}: ${pc(minUtil(r))} over ${fmt(r.backloggedMin, 0)} min`).join(', K = ')}.`,
      `- 429s from KIE: ${e.runs.map((r) => `K = ${r.accounts}: ${r.rejected429}`).join(', ')} (target 0).`,
      `- Jain's index of sellers' waits for a first video: ${e.runs.map((r, i) => `K = ${r.accounts}: ${fmt(r.jainAll, 3)} (ideal ${fmt(e.ideal[i]!.jainAll, 3)})`).join(', ')} (target ≥ 0.95; see the note on what bounds it).`,
      `- p95 confirm → first video against the theoretical best: ${e.runs
        .map((r, i) => `K = ${r.accounts}: ${fmt(r.first.p95)} min vs ${fmt(e.ideal[i]!.first.p95)} min (gap ${fmt(r.first.p95 - e.ideal[i]!.first.p95)} min)`)
        .join('; ')}.`,
    );
  }
  if (p)
    lines.push(
      `- Pipeline: ${fmt(p.videosPerSec, 2)} videos/s (${fmt(p.ordersPerSec, 2)} orders/s) end to end; raw JetStream ${fmt(p.raw.perSec, 0)} msg/s on the same server; ` +
        `ratio to (raw ÷ ${fmt(p.messagesPerVideo)} messages per video) = ${pc(p.ratio)}.`,
      `- Slowest hop: ${short(p.slowest.from)} → ${short(p.slowest.to)} (p50 ${fmt(p.slowest.p50, 0)} ms): ${WHY[`${p.slowest.from}→${p.slowest.to}`] ?? ''}`,
    );
  if (h)
    lines.push(
      `- Holding ${h.running} running tasks: ${fmt(h.kibPerTask, 2)} KiB of dispatcher memory (RSS) per task (${fmt(h.heapKibPerTask, 2)} KiB of V8 heap), ${fmt(h.cpuPercentAtRest)} % of a core at rest (${fmt(h.cpuPercentIdle)} % holding nothing).`,
    );
  return [...lines, ''].join('\n');
}

export function machineSection(before: Machine, after: Machine): string {
  return [
    '## Machine',
    '',
    `${before.cores} cores (${before.model}), ${fmt(before.memGiB)} GiB memory, Node ${before.node}. ` +
      `Load average at start ${before.load.map((x) => fmt(x, 2)).join(' / ')}, at end ${after.load.map((x) => fmt(x, 2)).join(' / ')} (1/5/15 min). ` +
      'The machine is shared with other engineers\' builds and tests while the bench runs, so the measured parts (pipeline, holding) are noisy; the evening is a simulation in virtual time and does not depend on the load.',
    '',
  ].join('\n');
}

export function eveningSection(e: Evening, stem: string): string {
  const cols = e.runs.map((r) => `K = ${r.accounts}`);
  const row = (name: string, f: (r: EveningResult, i: number) => string) =>
    `| ${name} | ${e.runs.map((r, i) => f(r, i)).join(' | ')} |`;
  const q = (x: { p50: number; p95: number; p99: number }) => `${fmt(x.p50)} / ${fmt(x.p95)} / ${fmt(x.p99)}`;
  const r0 = e.runs[0]!;
  return [
    '## The evening (20:00–22:00 Moscow)',
    '',
    `${r0.orders} orders (${r0.videos} videos) from ${r0.sellers} sellers, confirmed along a curve that ramps to a peak at 21:00: one order each, ` +
      'a second one for about 10 %, and 10 heavy sellers with ten 5-video orders each a few minutes apart; orders of 1, 3 and 5 videos in 55/30/15 %. ' +
      'KIE at its real per-account limits: 20 new tasks per 10 s and 100 running tasks, generation 2–5 min (uniform). All times are real (unscaled) minutes.',
    '',
    '**What is the product\'s code and what is modelled.** This part is a deterministic discrete-event simulation in virtual time ' +
      '(12,000+ videos through the five real services at 60× does not fit 2 cores). It runs the product\'s own pure decisions:',
    `the fair-share order \`fairOrder\` (${e.source}), the per-account limiter and key choice (\`keyCapacity\`, \`rankAccountKeys\` in apps/kie-dispatcher/src/domain/keys.ts; \`takeKeySlot\`, \`releaseSlot\` in slots.ts) with the dispatcher's defaults ` +
      '(KIE_SUBMIT_RATE 20/10s, KIE_MAX_IN_FLIGHT 100, 3 unanswered createTask per key, 8 rows in hand), and the KIE simulator\'s limit model (`windowFull`, `charge` in sandbox/src/kie/accounts.ts, running cap 100). ' +
      'Modelled: the sellers and their arrivals, the GPT step (3–8 s per order), the photo upload (0.5–2 s once per order), HTTP round trips (0.3–1.2 s), callbacks (0.2–1 s), generation (2–5 min), ' +
      'the notifier\'s download and send (2–6 s), Telegram\'s 30 messages/s and 1/s per chat (3 status messages per order + one per video), and the claim loop\'s 250 ms tick (the fair order is recomputed at most once per simulated second). ' +
      (e.estimateSource.startsWith('product')
        ? `The wait estimate is the product's (${e.estimateSource}), fed as the dispatcher feeds it: the order's position in the fair order, submissions over the last minute, whether videos waited throughout it, the accounts' 20/10 s budget and the median of recent generation times; it leaves out the GPT step and the delivery (under a minute). It is taken when the order's videos join the queue ("generation started") and compared with the real confirm → first / last video.`
        : 'The wait estimate is the bench\'s stand-in (estimate.ts is not in this checkout): the order\'s position in the fair order divided by the accounts\' throughput at their binding limit with the median of recent generation times, plus that median and 30 s of overheads.'),
    '',
    '**Theoretical best** runs the same arrivals and the same generation time per video with no overhead at all: no GPT step, upload, round trip, callback or Telegram, a slot used the instant it frees, first videos first and otherwise first come first served. The gap is the p95 difference.',
    '',
    `| | ${cols.join(' | ')} |`,
    `|---|${cols.map(() => '---').join('|')}|`,
    row('confirm → first video, p50 / p95 / p99 (min)', (r) => q(r.first)),
    row('theoretical best, p50 / p95 / p99 (min)', (_r, i) => q(e.ideal[i]!.first)),
    row('**gap to the physical limit, p95 (min)**', (r, i) => `**${fmt(r.first.p95 - e.ideal[i]!.first.p95)}**`),
    row('confirm → last video, p50 / p95 / p99 (min)', (r) => q(r.last)),
    row('theoretical best, last video (min)', (_r, i) => q(e.ideal[i]!.last)),
    row('largest queue (videos waiting)', (r) => String(Math.max(...r.depth.map((d) => d.waiting)))),
    row('last video delivered (minutes after 20:00)', (r) => fmt(r.lastDeliveryMin, 0)),
    row('time backlogged by the accounts\' limits (min)', (r) => fmt(r.backloggedMin)),
    row('time held back by the claim loop\'s 8 rows in hand (min)', (r) => fmt(r.handBoundMin)),
    row('utilisation vs theoretical max while the accounts held the queue back, per account', (r) => r.utilisation.map((u) => pc(u.binding)).join(', ')),
    row('submissions vs min(20/10 s, 100 / mean generation) then, mean of accounts', (r) => pc(r.utilisation.reduce((s, u) => s + u.throughput, 0) / r.utilisation.length)),
    row('running slots in use while backlogged (of 100)', (r) => pc(r.utilisation.reduce((s, u) => s + u.occupancy, 0) / r.utilisation.length)),
    row('submissions vs the 20/10 s budget while backlogged', (r) => pc(r.utilisation.reduce((s, u) => s + u.rate, 0) / r.utilisation.length)),
    row('429s', (r) => String(r.rejected429)),
    row("Jain's index, sellers' mean wait for a first video (ideal)", (r, i) => `${fmt(r.jainAll, 3)} (${fmt(e.ideal[i]!.jainAll, 3)})`),
    row("Jain's index within 5-minute arrival cohorts (ideal)", (r, i) => `${fmt(r.jainCohort, 3)} (${fmt(e.ideal[i]!.jainCohort, 3)})`),
    row('first video p50: heavy sellers / everyone else (min)', (r) => `${fmt(r.heavyFirstP50)} / ${fmt(r.othersFirstP50)}`),
    row("first video p50 / p95: a seller's first order (min)", (r) => `${fmt(r.newcomerFirst.p50)} / ${fmt(r.newcomerFirst.p95)}`),
    row('first video p50 / p95: later orders of the same seller (min)', (r) => `${fmt(r.repeatFirst.p50)} / ${fmt(r.repeatFirst.p95)} (${r.repeatFirst.n})`),
    row('estimated wait, median absolute error: first / last video (min)', (r) => `${fmt(r.estimateMaeFirst)} / ${fmt(r.estimateMaeLast)}`),
    row('Telegram messages (per order), busiest second', (r) => `${r.telegram.messages} (${fmt(r.telegram.perOrder, 2)}), ${r.telegram.maxPerSecond}/s`),
    row('simulated in (s of CPU wall time)', (r) => fmt(r.wallMs / 1000, 0)),
    '',
    "**Utilisation** is, per account, the time-average share of its binding limit in use (running tasks of the 100 allowed, or the 20-per-10-s window, whichever is fuller) while videos were waiting that the accounts' limits held back " +
      "(not the claim loop's rows in hand, counted apart). With 2–5 min generation the binding limit is the 100 running tasks: 100 / 3.5 min ≈ 0.48 tasks/s per account, a quarter of the 2/s that 20 per 10 s would allow. " +
      'The throughput row divides the submissions by that maximum; it moves with the generation times of the moment and with the ramp at the start of a backlog.',
    '',
    "**Jain's index** over waits that include a 2–5 min generation cannot reach 1: with generation uniform on 2–5 min alone it is about 0.94, which is why the ideal schedule's index is quoted beside it. " +
      'Over the whole evening it also mixes sellers who came at 20:00 with those at the 21:00 peak (their waits differ under any order), so the index within 5-minute arrival cohorts is given too: it isolates the scheduler.',
    '',
    '**Saturation check.** Half the sellers (the same mix, heavy sellers included) arriving within 5 minutes at the largest K, with one dispatcher replica (8 rows in hand) and with two (16):',
    '',
    '| rows in hand | orders (videos) | held back by the accounts (min) | utilisation per account | running slots in use | held back by the rows in hand (min) | 429s | largest queue | first video p50 / p95 (min) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...e.saturated.map(
      (s) =>
        `| ${s.inHand} | ${s.orders} (${s.videos}) | ${fmt(s.backloggedMin)} | ${s.utilisation.map((u) => pc(u.binding)).join(', ')} | ` +
        `${pc(s.utilisation.reduce((a, u) => a + u.occupancy, 0) / s.utilisation.length)} | ${fmt(s.handBoundMin)} | ${s.rejected429} | ` +
        `${Math.max(...s.depth.map((d) => d.waiting))} | ${fmt(s.first.p50)} / ${fmt(s.first.p95)} |`,
    ),
    '',
    `![Queue depth](${stem}-queue.png)`,
    '',
    `![Waits over the evening](${stem}-waits.png)`,
    '',
  ].join('\n');
}

export function pipelineSection(p: PipelineResult): string {
  return [
    '## Pipeline cost',
    '',
    `${p.orders} orders (${p.videos} videos, 1/3/5 in 55/30/15 %) placed at once as \`orders.order.placed.v1\` (the gateway's event; the Telegram conversation is not part of this run), through the five services built as in production, ` +
      'on a private nats-server with JetStream and the shared PostgreSQL, KIE answering at once. KIE\'s and Telegram\'s rate limits (simulators, dispatcher, notifier) are lifted on purpose: this part measures what the services cost, the limits are the evening\'s subject.',
    '',
    `- End to end: ${fmt(p.seconds)} s from the first order published to the last \`jobs.order.completed\`: **${fmt(p.ordersPerSec, 2)} orders/s, ${fmt(p.videosPerSec, 2)} videos/s**; failed videos ${p.failed}.`,
    `- Raw JetStream on the same server, same message size (${p.messageBytes} B), publish (64 awaiting acks) → durable pull consumer → ack: **${fmt(p.raw.perSec, 0)} msg/s** (${p.raw.messages} messages).`,
    `- The pipeline carries ${fmt(p.messagesPerVideo)} JetStream messages per video (every event of the run ÷ videos), so the server alone would allow ${fmt(p.raw.perSec / p.messagesPerVideo)} videos/s: the pipeline reaches **${pc(p.ratio)}** of that.`,
    '',
    '| hop | n | p50 (ms) | p95 (ms) | p99 (ms) |',
    '|---|---|---|---|---|',
    ...p.hops.map((h) => `| ${short(h.from)} → ${short(h.to)} | ${h.n} | ${fmt(h.p50, 0)} | ${fmt(h.p95, 0)} | ${fmt(h.p99, 0)} |`),
    '',
    `Latencies are the differences of the events' \`occurredAt\` along each video's chain (order-level events by order id). Slowest hop by p50: **${short(p.slowest.from)} → ${short(p.slowest.to)}** — ${WHY[`${p.slowest.from}→${p.slowest.to}`] ?? ''}`,
    '',
    '| service | CPU ms per video | share of the services\' CPU | peak memory (MiB, VmHWM) |',
    '|---|---|---|---|',
    ...p.services.map((s) => `| ${s.name} | ${fmt(s.cpuMsPerVideo, 1)} | ${pc(s.cpuShare)} | ${fmt(s.peakMiB, 0)} |`),
    '',
    'CPU is user + system time from /proc/<pid>/stat over the run (from the first order to the last completion); memory is each process\'s peak resident set from /proc/<pid>/status.',
    '',
  ].join('\n');
}

export function holdingSection(h: HoldingResult): string {
  return [
    '## Holding',
    '',
    `One kie-dispatcher holding ${h.running} of ${h.tasks} tasks running at KIE (the simulator takes 6 h per task), sent as \`kie.task.submit.v1\` with the submission limits lifted so that they were all running after ${fmt(h.fillSeconds, 0)} s; the orchestrator was stopped for the run.`,
    '',
    `- Resident memory: ${fmt(h.rssBeforeMiB, 0)} MiB holding nothing, ${fmt(h.rssAfterMiB, 0)} MiB holding them: **${fmt(h.kibPerTask, 2)} KiB per running task** (RSS, so V8's heap sizing is in it); ` +
      `V8 heap in use ${fmt(h.heapBeforeMiB, 0)} → ${fmt(h.heapAfterMiB, 0)} MiB: ${fmt(h.heapKibPerTask, 2)} KiB per task (garbage not yet collected included).`,
    `- CPU over ${h.restSeconds} s at rest: **${fmt(h.cpuPercentAtRest)} % of one core** holding them (its recordInfo polling included), ${fmt(h.cpuPercentIdle)} % holding nothing.`,
    '',
  ].join('\n');
}
