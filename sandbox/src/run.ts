/**
 * `pnpm sandbox`: the whole product on one machine with no internet — local NATS and
 * PostgreSQL (started when none answers), the Telegram, KIE and OpenAI simulators, and
 * the five services as separate processes configured only through the environment.
 * Open the printed chat page and play the seller.
 */
import path from 'node:path';
import { ensureDatabase, requestRpc } from '@neurocards/platform';
import { connect } from '@nats-io/transport-node';
import { DEFAULT_PORTS } from '@neurocards/contracts';
import {
  REPO_ROOT,
  SERVICES,
  ensureBuilt,
  launchServices,
  waitUntilReady,
  type ServiceName,
} from '@neurocards/launcher';
import { startKieSim, startOpenAiSim, startTelegramSim } from './index';
import { answers, ensureNats, ensurePostgres, stopRecorded } from './infra';
import { startSecureNats } from './secure-nats';
import { logFormat, serviceLineFormatter } from './pretty';
import { setSimLogStream } from './shared/app';
import { registerControlPanel } from './control/control';
import type { ControlTargets } from './control/control';

const say = (s: string) => process.stdout.write(`[sandbox] ${s}\n`);
const stateDir = process.env.SANDBOX_STATE_DIR ?? path.join(REPO_ROOT, '.sandbox');
const env = process.env;
// One coloured line per event (LOG_FORMAT=json: the services' JSON as it is).
const formatLine = serviceLineFormatter(logFormat(env.LOG_FORMAT));
// The simulators' own lines (a render that failed, a missing ffmpeg) the same way.
setSimLogStream({ write: (line) => void process.stdout.write(`${formatLine('simulator', line.trimEnd())}\n`) });

/** Sandbox users who get demo credits up front (the chat page starts as user 1001). */
const DEMO_USERS = [1001, 1002];
const DEMO_CREDITS = Number(env.SANDBOX_DEMO_CREDITS ?? 20);
const ADMIN_ID = 1001;

const startedAt = Date.now();
const webRoot = `http://127.0.0.1:${Number(env.SANDBOX_TELEGRAM_PORT ?? 8090)}`;
say(`starting NATS, PostgreSQL, the Telegram, KIE and OpenAI simulators and the five services`);
say(`when ready, open the chat:    ${webRoot}/`);
say(`and the control panel:       ${webRoot}/control`);

/**
 * What to stop, in reverse order of starting, however far the start got: Ctrl-C during the
 * start stops what is already running (nats-server runs in its own process group and would
 * otherwise outlive us).
 */
const cleanups: Array<() => unknown> = [];
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  say('stopping');
  for (const stop of cleanups.reverse()) await Promise.resolve(stop()).catch(() => undefined);
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

// The services run their built bundles, as in production; rebuilt here only when stale.
await ensureBuilt();
const natsPort = Number(env.SANDBOX_NATS_PORT ?? 4223);
/**
 * NATS with the users generated from the contracts (one per service, limited to its own
 * subjects), so a permission mistake shows here as in production. Without a nats-server
 * binary, or with the port taken, the anonymous fallback of `ensureNats` is used.
 */
async function startNats() {
  // A server this sandbox started before and was killed with is stopped first: the port is ours.
  await stopRecorded(path.join(stateDir, 'nats', 'nats.pid'), 'nats-server');
  if (!(await answers(natsPort))) {
    try {
      const secure = await startSecureNats({ port: natsPort, dir: path.join(stateDir, 'nats') });
      say(`nats-server with per-service users on ${natsPort} (log ${secure.logFile})`);
      return {
        url: secure.url,
        admin: { user: secure.admin.user, pass: secure.admin.password },
        envOf: (s: ServiceName) => secure.envOf(s),
        stop: () => void secure.stop(),
      };
    } catch (err) {
      say(`no secured NATS (${(err as Error).message}); falling back to an anonymous one`);
    }
  }
  const open = await ensureNats(stateDir, say, natsPort);
  return { ...open, admin: {}, envOf: () => ({}) };
}
const nats = await startNats();
cleanups.push(() => nats.stop?.());
const pg = await ensurePostgres(stateDir, say, Number(env.SANDBOX_PG_PORT ?? 5433));
cleanups.push(() => pg.stop?.());
const dbUrl = new URL(pg.adminUrl);
dbUrl.pathname = `/${env.SANDBOX_DB ?? 'neurocards_sandbox'}`;
await ensureDatabase(dbUrl.toString());

// The demo users are "known" to the simulator, as if they had written to the bot before,
// so the notifier may tell them about their demo credits.
// The control panel (/control) lives on the chat page's server; its targets are filled in as they start.
const control: ControlTargets = {};
const tg = await startTelegramSim({
  port: Number(env.SANDBOX_TELEGRAM_PORT ?? 8090),
  knownUsers: DEMO_USERS.map((userId) => ({ userId })),
  routes: (app, sim) => {
    control.telegram = sim;
    registerControlPanel(app, control);
  },
});
cleanups.push(() => tg.close());
// Two KIE accounts, three keys: limits and credits are per account, so the product sees a shared
// window on `main` and a spare account to fall back to. Sora 2 is gone since 2026-09-24 (docs/design.md §4).
const KIE_ACCOUNTS = { main: ['sandbox-key-1', 'sandbox-key-2'], spare: ['sandbox-key-3'] };
const kie = await startKieSim({
  port: Number(env.SANDBOX_KIE_PORT ?? 8091),
  latencyMs: Number(env.SANDBOX_KIE_LATENCY_MS ?? 15_000),
  accounts: KIE_ACCOUNTS,
  withdrawn: ['sora-2-image-to-video', 'sora-2-text-to-video', 'sora-2-pro-image-to-video', 'sora-2-pro-text-to-video'],
  // Each order's video is rendered from its photo (orientation, template's camera move, a label);
  // without ffmpeg the sim serves its tiny placeholder. The cache lives with the sandbox's state.
  render: 'ffmpeg',
  renderOptions: { cacheDir: path.join(stateDir, 'kie-renders') },
});
cleanups.push(() => kie.close());
// The dispatcher's names for the keys (KIE_API_KEYS below), so the panel and its stats agree.
const KIE_API_KEYS = 'main/primary=sandbox-key-1,main/secondary=sandbox-key-2,spare/only=sandbox-key-3';
control.kie = kie;
control.keyNames = Object.fromEntries(KIE_API_KEYS.split(',').map((pair) => pair.split('=').reverse() as [string, string]));
control.nats = () => connect({ servers: nats.url, ...nats.admin, name: 'sandbox-control' });
const openai = await startOpenAiSim({ port: Number(env.SANDBOX_OPENAI_PORT ?? 8092), apiKey: 'sk-sandbox' });
cleanups.push(() => openai.close());

// Each service on its documented port (docs/design.md §2.8), whatever the start order;
// SANDBOX_SERVICE_PORT_OFFSET shifts them all, so a second sandbox (the browser tests') can run beside one.
const portOffset = Number(env.SANDBOX_SERVICE_PORT_OFFSET ?? 0);
const ports = Object.fromEntries(SERVICES.map((s) => [s, DEFAULT_PORTS[s] + portOffset])) as Record<ServiceName, number>;
// fetch() refuses the browsers' "bad ports" (https://fetch.spec.whatwg.org/#port-blocking), so
// the readiness checks could never reach a service there: say so now instead of timing out.
const FETCH_BLOCKED = [1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080];
for (const s of SERVICES) {
  if (FETCH_BLOCKED.includes(ports[s]))
    throw new Error(`SANDBOX_SERVICE_PORT_OFFSET=${portOffset} puts ${s} on port ${ports[s]}, which fetch() refuses: choose another offset`);
}
const services = launchServices({
  onLine: (svc, line, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(`${formatLine(svc, line)}\n`),
  envOf: nats.envOf,
  ports,
  env: {
    ...env,
    NATS_URL: nats.url,
    DATABASE_URL: dbUrl.toString(),
    BOT_TOKEN: tg.token,
    TELEGRAM_API_ROOT: tg.apiRoot,
    BOT_MODE: 'polling',
    KIE_BASE_URL: kie.baseUrl,
    KIE_UPLOAD_BASE_URL: kie.uploadBaseUrl,
    // `account/name=key`: the dispatcher keeps limits and credit alerts per account.
    KIE_API_KEYS,
    // The offer, default first: ids from the simulator's model table (sandbox/src/kie/models.ts).
    KIE_MODELS: 'kling-3.0/video,veo3_fast,bytedance/seedance-2-fast,hailuo/2-3-image-to-video-standard,wan/2-6-image-to-video',
    OPENAI_API_KEY: 'sk-sandbox',
    OPENAI_BASE_URL: openai.baseUrl,
    ADMIN_TG_IDS: String(ADMIN_ID),
    SUPPORT_CONTACT: '@neurocards_support',
    WELCOME_CREDITS: env.WELCOME_CREDITS ?? '3',
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
  },
});

cleanups.push(() => services.stop());
for (const p of services.processes.values()) {
  void p.exited.then((code) => {
    if (!stopping) {
      say(`${p.name} exited (${code}); stopping the sandbox`);
      void shutdown(1);
    }
  });
}

await waitUntilReady(ports, 120_000);
const nc = await connect({ servers: nats.url, ...nats.admin });
for (const userId of DEMO_USERS) {
  const r = await requestRpc(nc, 'billing.credits.grant', {
    grantId: `sandbox-demo:${userId}`,
    userId,
    amount: DEMO_CREDITS,
    grantedBy: 'sandbox',
  });
  say(`user ${userId}: balance ${r.balance}`);
}
await nc.close();

say(`ready in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
say(`chat with the bot:     ${tg.webUrl}`);
say(`control panel:         ${tg.webUrl}control`);
say(`KIE simulator:         ${kie.baseUrl}`);
say(`service health:        ${SERVICES.map((s) => `${s} :${ports[s]}`).join(', ')}`);
say('try:');
say('  1. send a photo, pick UGC, 3 videos, Confirm: the videos arrive one by one, made from your photo');
say('  2. in the control panel set content refusals to 100 %, order again: the refusal and the refund');
say('  3. /buy: pay a pack with simulated Stars and watch the balance grow; /balance, /orders, /language');
say(`  4. user ${ADMIN_ID} is an admin (/grant, /balance <id>, /stats); user ${DEMO_USERS[1]} is a second seller`);
say('Ctrl-C stops everything. LOG_FORMAT=json shows the raw JSON logs.');
