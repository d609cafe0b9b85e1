/**
 * The chaos run (issue 7: "nothing lost, nothing twice, nobody let in"). About 60 sellers order
 * through the Telegram simulator while the suite kills services, restarts NATS and PostgreSQL,
 * loses and repeats KIE callbacks and fails Telegram sends; then it lets the product settle and
 * prints every invariant as PASS/FAIL. Exit code 1 when one fails.
 *
 *   CHAOS_SEED=1234 pnpm test:chaos
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { REPO_ROOT } from '@neurocards/launcher';
import { requestRpc } from '@neurocards/platform';
import { describeFault, injectFaults, planCallbackChaos, planFaults } from './faults';
import { checkInvariants, type RunFacts } from './invariants';
import { ADMIN_ID, startProduct } from './product';
import { createRng } from './rng';
import { planSellers, runSeller } from './sellers';
import { startNats, startPostgres } from './servers';
import { settle } from './settle';
import { connectSql, takeSnapshot } from './state';

const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const SELLERS = Number(process.env.CHAOS_SELLERS ?? 60);
const MIN_VIDEOS = Number(process.env.CHAOS_MIN_VIDEOS ?? 200);
const ANSWER_TIMEOUT_MS = Number(process.env.CHAOS_ANSWER_TIMEOUT_MS ?? 90_000);
const SETTLE_MS = Number(process.env.CHAOS_SETTLE_MS ?? 360_000);
const NATS_PORT = Number(process.env.CHAOS_NATS_PORT ?? 4310);
const PG_PORT = Number(process.env.CHAOS_PG_PORT ?? 5440);

const say = (line: string) => process.stdout.write(`${line}\n`);
const elapsed = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

/** What to stop at the end, newest first: services, connections, then the private servers. */
const cleanup: Array<() => Promise<unknown>> = [];
async function cleanUp() {
  for (const c of cleanup.splice(0)) await c().catch(() => undefined);
}
// Ctrl-C (or CI's timeout) must not leave private PostgreSQL, NATS or services behind.
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    say(`[chaos] ${sig}: stopping`);
    void cleanUp().then(() => process.exit(130));
  });

async function main(): Promise<number> {
  const started = Date.now();
  say(`[chaos] seed ${seed} — re-run with: CHAOS_SEED=${seed} pnpm test:chaos`);
  const rng = createRng(seed);
  const plans = planSellers(rng.fork('sellers'), {
    sellers: SELLERS,
    minVideos: MIN_VIDEOS,
    spreadMs: 90_000,
  });
  const faults = planFaults(rng.fork('faults'), { startMs: 15_000, gapMs: [9_000, 16_000] });
  const callbacks = planCallbackChaos(rng.fork('kie'));
  const planned = plans.reduce((n, p) => n + p.orders.reduce((m, o) => m + o.count, 0), 0);
  say(
    `[chaos] ${plans.length} sellers, ${plans.reduce((n, p) => n + p.orders.length, 0)} orders, ${planned} videos planned`,
  );
  say(
    `[chaos] KIE callbacks: ${callbacks.lostRate * 100}% lost, ${callbacks.duplicateRate * 100}% duplicated`,
  );
  for (const f of faults) say(`[chaos]   at +${(f.at / 1000).toFixed(1)}s: ${describeFault(f)}`);

  const work = path.join('/tmp', `chaos-${seed}-${process.pid}`);
  const logDir = path.join(REPO_ROOT, 'test', '.logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `chaos-${seed}-${Date.now()}.log`);
  const pg = await startPostgres({ port: PG_PORT, dir: path.join(work, 'pg') });
  const nats = await startNats({ port: NATS_PORT, dir: path.join(work, 'nats') });
  say(`[chaos] private PostgreSQL ${pg.url}, NATS ${nats.url}; service logs: ${logFile}`);
  cleanup.push(
    () => nats.stop(),
    () => pg.stop(),
  );
  try {
    const product = await startProduct({
      natsUrl: nats.url,
      databaseUrl: pg.url,
      logFile,
      kie: { latencyMs: 2000, latencyMaxMs: 5000 },
      sellers: plans.map((p) => p.userId),
    });
    cleanup.unshift(() => product.stop());
    product.kie.setBehavior({
      lostCallbackRate: callbacks.lostRate,
      duplicateCallbackRate: callbacks.duplicateRate,
    });
    // The suite's own connection rides out the NATS restart like the services' do.
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    cleanup.unshift(() => nc.close());
    const sql = connectSql(pg.url);
    cleanup.unshift(() => sql.end({ timeout: 5 }));
    say(`[chaos] product ready in ${elapsed(started)}`);

    // The operator grants each seller enough credits for every planned order.
    const grants = new Map<number, number>();
    for (const p of plans) {
      await requestRpc(
        nc,
        'billing.credits.grant',
        {
          grantId: randomUUID(),
          userId: p.userId,
          amount: p.credits,
          grantedBy: ADMIN_ID,
          locale: p.languageCode,
        },
        15_000,
      );
      grants.set(p.userId, p.credits);
    }

    const t0 = Date.now();
    let stopSellers = false;
    const sellersDone = Promise.all(
      plans.map((p) =>
        runSeller(product.tg, p, rng.fork(`seller-${p.userId}`), {
          answerTimeoutMs: ANSWER_TIMEOUT_MS,
          stop: () => stopSellers,
        }),
      ),
    );
    const hardStop = setTimeout(() => (stopSellers = true), 15 * 60_000);
    const progress = setInterval(() => {
      const acks = plans.reduce(
        (n, p) => n + product.tg.botMessages(p.userId).filter((m) => m.kind === 'video').length,
        0,
      );
      say(`[chaos] +${elapsed(t0)}: ${acks} videos in chats`);
    }, 30_000);
    const faultRecords = await injectFaults(faults, { t0, product, nats, pg, callbacks, log: say });
    const sellers = await sellersDone;
    clearTimeout(hardStop);
    say(`[chaos] sellers done at +${elapsed(t0)}; settling (bound ${SETTLE_MS / 1000} s)`);
    const settled = await settle(sql, nc, SETTLE_MS, say);
    clearInterval(progress);
    say(
      `[chaos] ${settled.settled ? 'settled' : `NOT settled: ${settled.pending}`} after ${Math.round(settled.waitedMs / 1000)} s`,
    );

    const chats = new Map(plans.map((p) => [p.userId, product.tg.botMessages(p.userId)]));
    const snapshot = await takeSnapshot(sql, nc, chats);
    const kieCallbacks = product.kie.callbacks();
    const facts: RunFacts = {
      grants,
      sellers,
      faults: faultRecords,
      exits: [...product.exits],
      settled: settled.settled,
      minVideos: MIN_VIDEOS,
      t0,
      kieCallbacks: { sent: kieCallbacks.length, duplicates: kieCallbacks.filter((c) => c.copy > 0).length },
    };
    const checks = checkInvariants(snapshot, facts);

    say('');
    say(`==== chaos invariants — seed ${seed} — ${((Date.now() - started) / 1000).toFixed(0)} s ====`);
    for (const c of checks) {
      say(`${c.pass ? 'PASS' : 'FAIL'}  ${c.name}`);
      say(`      ${c.summary}`);
      for (const d of c.details) say(`        - ${d}`);
    }
    const failed = checks.filter((c) => !c.pass).length;
    // A stall is not a failure by itself (the order still completes), but it is worth seeing.
    if (settled.longestSending)
      say(
        `note: a delivery stayed 'sending' for ${settled.longestSending.ageS} s while the run settled (${settled.longestSending.key})`,
      );
    say(
      `==== ${checks.length - failed} passed, ${failed} failed — re-run: CHAOS_SEED=${seed} pnpm test:chaos ====`,
    );
    writeFileSync(
      path.join(logDir, `chaos-${seed}-report.json`),
      JSON.stringify({ seed, checks, faults: faultRecords, exits: facts.exits, settled }, null, 2),
    );
    return failed === 0 ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[chaos] the run itself failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
