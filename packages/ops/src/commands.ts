import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { listParked, replayParked, requestRpc } from '@neurocards/platform';
import postgres from 'postgres';
import { formatStory, orderStory } from './story';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The billing package's reconciliation script, added with Telegram Stars payments. */
export const RECONCILE_SCRIPT = 'reconcile';

export const USAGE = `usage: pnpm ops <command>
  keys                                  KIE accounts, keys (ok, cooling, blocked), models and the queue
  unblock <key|account>                 lift a key's (or every key of an account's) block or cool-down
  model <id> on|off                     offer a model again, or stop offering it
  grant <tg_id> <credits> --reason <text> [--grant-id <uuid>]
                                        add credits through billing (once per grant id; the reason is kept
                                        in the ledger's granted_by as "ops: <reason>")
  dead list [consumer]                  messages parked in DEAD, and why
  dead replay <seq>... | dead replay-all [consumer]
                                        publish parked messages again on their subject, remove them from DEAD
  reconcile [args...]                   billing's reconciliation (pnpm --filter @neurocards/billing ${RECONCILE_SCRIPT})
  order <orderId>                       the order's whole story: every event, ledger line, KIE task, job, message
environment: NATS_URL, NATS_USER/NATS_PASSWORD (the admin user), DATABASE_URL (order only),
             OPS_ADMIN_TG_ID (recorded as the admin of unblock/model; default 0 = ops)`;

export interface OpsEnv {
  NATS_URL?: string | undefined;
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  DATABASE_URL?: string | undefined;
  OPS_ADMIN_TG_ID?: string | undefined;
}

export class UsageError extends Error {}

async function connectNats(env: OpsEnv): Promise<NatsConnection> {
  return connect({
    servers: (env.NATS_URL ?? 'nats://127.0.0.1:4222').split(',').map((s) => s.trim()),
    name: 'ops',
    ...(env.NATS_USER ? { user: env.NATS_USER, pass: env.NATS_PASSWORD ?? '' } : {}),
  });
}

/** `--name value` options out of the arguments; what remains is positional. */
function options(args: string[]): { positional: string[]; opts: Record<string, string> } {
  const positional: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--')) {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      opts[a.slice(2)] = v;
      i++;
    } else positional.push(a);
  }
  return { positional, opts };
}

const table = (rows: Array<Record<string, unknown>>) =>
  rows.map((r) => Object.entries(r).map(([k, v]) => `${k}=${v ?? '-'}`).join('  ')).join('\n');

/**
 * Runs one `pnpm ops` command and returns what it prints. Throws `UsageError` on bad input
 * (nothing changed), or the failure of the service it asked.
 */
export async function runOps(argv: string[], env: OpsEnv = process.env): Promise<string> {
  const [cmd, ...rest] = argv;
  const adminId = Number(env.OPS_ADMIN_TG_ID ?? 0);
  if (!Number.isSafeInteger(adminId)) throw new UsageError('OPS_ADMIN_TG_ID must be a Telegram id');
  switch (cmd) {
    case 'keys':
      return withNats(env, async (nc) => {
        const s = await requestRpc(nc, 'kie.keys.stats', {});
        return [
          `queue: ${s.queueDepth} video(s) waiting`,
          'accounts:',
          table(s.accounts),
          'keys:',
          table(s.keys),
          'models:',
          table(s.models.map((m) => ({ ...m, unavailableOn: m.unavailableOn.join(',') }))),
        ].join('\n');
      });
    case 'unblock': {
      const [target] = rest;
      if (!target) throw new UsageError('unblock <key|account>');
      return withNats(env, async (nc) => {
        const r = await requestRpc(nc, 'kie.keys.unblock', { target, adminId });
        if (!r.known) return `no key or account named ${target}`;
        return r.unblocked.length ? `unblocked: ${r.unblocked.join(', ')}` : `${target}: nothing was blocked or cooling`;
      });
    }
    case 'model': {
      const [model, state] = rest;
      if (!model || (state !== 'on' && state !== 'off')) throw new UsageError('model <id> on|off');
      return withNats(env, async (nc) => {
        const r = await requestRpc(nc, 'kie.models.set', { model, enabled: state === 'on', adminId });
        if (!r.known) return `${model} is not in KIE_MODELS: nothing changed`;
        return `${model}: ${r.offered ? 'offered' : 'not offered'}`;
      });
    }
    case 'grant': {
      const { positional, opts } = options(rest);
      const [user, credits] = positional;
      const userId = Number(user);
      const amount = Number(credits);
      if (!Number.isSafeInteger(userId) || userId <= 0) throw new UsageError('grant <tg_id> <credits> --reason <text>: tg_id');
      if (!Number.isInteger(amount) || amount <= 0 || amount > 1_000_000)
        throw new UsageError('grant: credits must be a whole number from 1 to 1000000');
      const reason = opts.reason?.trim();
      if (!reason) throw new UsageError('grant: --reason <text> is required (it is kept in the ledger)');
      const grantId = opts['grant-id'] ?? randomUUID();
      return withNats(env, async (nc) => {
        const r = await requestRpc(nc, 'billing.credits.grant', { grantId, userId, amount, grantedBy: `ops: ${reason}` }, 10_000);
        return `${r.applied ? 'granted' : 'already granted (same grant id)'}: ${amount} to ${userId}, balance ${r.balance} (grant id ${grantId})`;
      });
    }
    case 'dead': {
      const [sub = 'list', ...args] = rest;
      const seqs = args.map(Number);
      if (sub === 'replay' && (seqs.length === 0 || seqs.some((n) => !Number.isInteger(n) || n <= 0)))
        throw new UsageError('dead replay <seq>...');
      if (!['list', 'replay', 'replay-all'].includes(sub))
        throw new UsageError('dead list [consumer] | replay <seq>... | replay-all [consumer]');
      return withNats(env, async (nc) => {
        const jsm = await jetstreamManager(nc);
        const js = jetstream(nc);
        if (sub === 'list') {
          const parked = await listParked(jsm, args[0]);
          return [
            ...parked.map((p) => `${p.seq}\t${p.parkedAt.toISOString()}\t${p.consumer}\t${p.originalSubject}\t${p.reason}`),
            `${parked.length} parked`,
          ].join('\n');
        }
        if (sub === 'replay') {
          const out: string[] = [];
          for (const seq of seqs) out.push(`${seq} → ${await replayParked(js, jsm, seq)}`);
          return out.join('\n');
        }
        // replay-all
        const out: string[] = [];
        for (const p of await listParked(jsm, args[0])) out.push(`${p.seq} → ${await replayParked(js, jsm, p.seq)}`);
        return [...out, `${out.length} replayed`].join('\n');
      });
    }
    case 'reconcile':
      return reconcile(rest, env);
    case 'order': {
      const [orderId] = rest;
      if (!orderId) throw new UsageError('order <orderId>');
      if (!env.DATABASE_URL) throw new UsageError('order: DATABASE_URL is required (the services’ schemas are read)');
      const sql = postgres(env.DATABASE_URL, { max: 2, onnotice: () => undefined });
      try {
        return await withNats(env, async (nc) => formatStory(await orderStory({ nc, sql }, orderId)));
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
    case undefined:
      throw new UsageError(USAGE);
    default:
      throw new UsageError(`unknown command ${cmd}\n${USAGE}`);
  }
}

async function withNats<T>(env: OpsEnv, f: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats(env);
  try {
    return await f(nc);
  } finally {
    await nc.drain();
  }
}

/**
 * Billing's reconciliation is its own script (`pnpm --filter @neurocards/billing reconcile`,
 * an exported function of apps/billing), run with the same environment; this only checks
 * it is there and runs it, so its output and exit code are the command's.
 */
export function reconcile(args: string[], env: OpsEnv, root = REPO_ROOT): string {
  const pkgFile = path.join(root, 'apps/billing/package.json');
  const scripts = existsSync(pkgFile)
    ? ((JSON.parse(readFileSync(pkgFile, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {})
    : {};
  if (!scripts[RECONCILE_SCRIPT])
    throw new Error(
      `reconcile: apps/billing/package.json has no "${RECONCILE_SCRIPT}" script; ` +
        'billing reconciliation ships with the Telegram Stars payments change — nothing was run',
    );
  const r = spawnSync('pnpm', ['--filter', '@neurocards/billing', RECONCILE_SCRIPT, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`reconcile: the billing script exited with ${r.status ?? r.signal}`);
  return 'reconcile: done';
}
