/**
 * `pnpm bench:peak`: the evening peak benchmark (issue 10). Prints figures and writes a
 * report with charts to bench/results/; asserts nothing and is not part of `pnpm test`.
 *
 *   pnpm bench:peak                                  # evening, pipeline and holding
 *   pnpm bench:peak --only evening                   # one or more parts, comma-separated
 *   pnpm bench:peak --sellers 5000 --accounts 1,3,10 --orders 600 --tasks 10000 --seed 1
 *
 * Only CLI arguments, no environment variables. Do not run it beside the e2e suite on the
 * same machine if you want quiet figures.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@neurocards/launcher';
import { queueDepthChart, waitsChart } from './charts';
import { simulateEvening, type EveningResult } from './evening';
import { runHolding, type HoldingResult } from './holding';
import { runPipeline, type PipelineResult } from './pipeline';
import { machine } from './proc';
import { loadScheduler } from './product';
import { eveningSection, headline, holdingSection, machineSection, pipelineSection } from './report';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    only: { type: 'string', default: 'evening,pipeline,holding' },
    sellers: { type: 'string', default: '5000' },
    accounts: { type: 'string', default: '1,3,10' },
    orders: { type: 'string', default: '600' },
    tasks: { type: 'string', default: '10000' },
    rest: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join(REPO_ROOT, 'bench', 'results') },
  },
});
const parts = new Set(args.only.split(','));
const out = (s: string) => process.stdout.write(`${s}\n`);
const started = new Date();
const t0 = performance.now();
const before = machine();
const dir = args.out;
mkdirSync(dir, { recursive: true });
const stamp = started.toISOString().slice(0, 16).replace(/[:T]/g, '-');

let evening:
  | { runs: EveningResult[]; ideal: EveningResult[]; saturated: EveningResult[]; source: string; estimateSource: string }
  | undefined;
let pipeline: PipelineResult | undefined;
let holding: HoldingResult | undefined;

if (parts.has('evening')) {
  const scheduler = await loadScheduler();
  out(`evening: ${args.sellers} sellers, K = ${args.accounts}; fair order from ${scheduler.source}; estimate from ${scheduler.estimateSource}`);
  const runs: EveningResult[] = [];
  const ideal: EveningResult[] = [];
  for (const k of args.accounts.split(',').map(Number)) {
    const base = {
      sellers: Number(args.sellers),
      accounts: k,
      seed: Number(args.seed),
      fairOrder: scheduler.fairOrder,
      ...(scheduler.estimateWait ? { estimateWait: scheduler.estimateWait } : {}),
    };
    const r = simulateEvening(base);
    const best = simulateEvening({ ...base, ideal: true });
    runs.push(r);
    ideal.push(best);
    out(
      `  K=${k}: ${r.orders} orders, ${r.videos} videos; first video p50/p95/p99 ${r.first.p50.toFixed(1)}/${r.first.p95.toFixed(1)}/${r.first.p99.toFixed(1)} min ` +
        `(ideal p95 ${best.first.p95.toFixed(1)}); last p95 ${r.last.p95.toFixed(1)}; 429s ${r.rejected429}; Jain ${r.jainAll.toFixed(3)}; ` +
        `estimate MAE ${r.estimateMaeFirst.toFixed(1)} min; simulated in ${(r.wallMs / 1000).toFixed(0)} s`,
    );
  }
  // Half the sellers within 5 minutes at the largest K: the accounts saturated for long
  // enough to measure their utilisation (an evening at K = 10 rarely backs up).
  const kMax = Math.max(...runs.map((r) => r.accounts));
  const saturated = [8, 16].map((inHand) =>
    simulateEvening({
      sellers: Math.round(Number(args.sellers) / 2),
      accounts: kMax,
      seed: Number(args.seed),
      fairOrder: scheduler.fairOrder,
      arrivalMinutes: 5,
      estimates: false,
      inHand,
    }),
  );
  for (const s of saturated)
    out(
      `  K=${kMax}, half the sellers within 5 min, ${s.inHand} rows in hand: held back by the accounts ${s.backloggedMin.toFixed(0)} min ` +
        `(utilisation ${s.utilisation.map((u) => (u.binding * 100).toFixed(1)).join('/')} %), by the rows in hand ${s.handBoundMin.toFixed(0)} min; 429s ${s.rejected429}`,
    );
  await queueDepthChart(runs, path.join(dir, `peak-${stamp}-queue.png`));
  await waitsChart(runs, ideal, path.join(dir, `peak-${stamp}-waits.png`));
  evening = { runs, ideal, saturated, source: scheduler.source, estimateSource: scheduler.estimateSource };
}

if (parts.has('pipeline')) {
  out(`pipeline: ${args.orders} orders through the five services`);
  pipeline = await runPipeline({ orders: Number(args.orders), seed: Number(args.seed), log: out });
  out(
    `  ${pipeline.videosPerSec.toFixed(2)} videos/s, ${pipeline.ordersPerSec.toFixed(2)} orders/s; raw JetStream ${pipeline.raw.perSec.toFixed(0)} msg/s; ` +
      `ratio ${(pipeline.ratio * 100).toFixed(1)} %; slowest hop ${pipeline.slowest.from} → ${pipeline.slowest.to}`,
  );
}

if (parts.has('holding')) {
  out(`holding: ${args.tasks} running tasks in one kie-dispatcher`);
  holding = await runHolding({ tasks: Number(args.tasks), restSeconds: Number(args.rest), log: out });
  out(`  ${holding.kibPerTask.toFixed(2)} KiB per task; CPU at rest ${holding.cpuPercentAtRest.toFixed(1)} % of a core`);
}

const after = machine();
const minutes = (performance.now() - t0) / 60_000;
const report = [
  `# Evening peak benchmark — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  '',
  `\`pnpm bench:peak ${process.argv.slice(2).filter((a) => a !== '--').join(' ')}\` — parts: ${[...parts].join(', ')}; ran ${minutes.toFixed(1)} min.`,
  '',
  headline(evening, pipeline, holding),
  machineSection(before, after),
  evening ? eveningSection(evening, `peak-${stamp}`) : '',
  pipeline ? pipelineSection(pipeline) : '',
  holding ? holdingSection(holding) : '',
].join('\n');
const file = path.join(dir, `peak-${stamp}.md`);
writeFileSync(file, report);
copyFileSync(file, path.join(dir, 'latest.md'));
out(`report: ${path.relative(REPO_ROOT, file)} (and latest.md beside it), ${minutes.toFixed(1)} min`);
