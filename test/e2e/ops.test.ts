import { spawnSync } from 'node:child_process';
import { jetstream } from '@nats-io/jetstream';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRpc } from '@neurocards/platform';
import { eventually } from '@neurocards/platform/testing';
import { REPO_ROOT } from '@neurocards/launcher';
import { runOps, UsageError, type OpsEnv } from '@neurocards/ops';
import { startStack, type Stack } from '../src/stack';
import { orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

/**
 * `pnpm ops` against the whole product (RUNBOOK.md): an order's full story by id, and the
 * operator commands the nats CLI cannot do, through the services' own RPCs.
 */
describe('pnpm ops', () => {
  let stack: Stack;
  let env: OpsEnv;
  beforeAll(async () => {
    stack = await startStack({ kieLatencyMs: 1000 });
    env = {
      NATS_URL: stack.nats.url,
      NATS_USER: stack.nats.admin.user,
      NATS_PASSWORD: stack.nats.admin.password,
      DATABASE_URL: stack.databaseUrl,
    };
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('grant with a reason, then `order <id>` tells the order’s whole story in time order', async () => {
    const seller = { userId: 7_400_001, languageCode: 'en' };
    // Bad input changes nothing.
    await expect(runOps(['grant', String(seller.userId), '3'], env)).rejects.toThrow(UsageError);
    await expect(runOps(['grant', 'x', '3', '--reason', 'r'], env)).rejects.toThrow(UsageError);
    expect(await requestRpc(stack.nc, 'billing.balance.get', { userId: seller.userId })).toMatchObject({ balance: 0 });

    const granted = await runOps(['grant', String(seller.userId), '3', '--reason', 'support ticket 42'], env);
    expect(granted).toMatch(/^granted: 3 to 7400001, balance 3/);
    await orderVideos(stack, seller, 1);
    const placed = await eventually(
      () => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e.find((o) => o.data.userId === seller.userId)),
      30_000,
    );
    const orderId = placed.data.orderId;
    await eventually(
      () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
      120_000,
      500,
    );
    // The summary is the last message; wait until its delivery is recorded too.
    await eventually(() => stack.tg.botMessages(seller.userId).some((m) => m.kind === 'video'), 30_000);

    const story = await eventually(async () => {
      const s = await runOps(['order', orderId], env);
      return /notifier\.deliveries .*video.*: sent/.test(s) ? s : null;
    }, 30_000, 500);
    process.stdout.write(`${story}\n`);
    const lines = story.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^order ${orderId}: \\d+ entries`));
    // Every event of the order, on its stream.
    for (const type of [
      'orders.order.placed.v1',
      'billing.credits.reserved.v1',
      'jobs.prompt.requested.v1',
      'kie.task.submit.v1',
      'kie.task.submitted.v1',
      'kie.task.succeeded.v1',
      'jobs.video.ready.v1',
      'notify.video.sent.v1',
      'jobs.video.delivered.v1',
      'billing.credits.captured.v1',
      'jobs.order.completed.v1',
    ])
      expect(story, type).toMatch(new RegExp(`[A-Z]+#\\d+ +${type.replace(/\./g, '\\.')}`));
    // The ledger's hold and capture, the KIE task by the id KIE gave it, the delivered video.
    expect(story).toMatch(/billing\.ledger +ledger hold \d+ credit/);
    expect(story).toMatch(/billing\.ledger +ledger capture \d+ credit/);
    const taskIds = stack.kie.tasks().map((t) => t.taskId);
    expect(taskIds.some((id) => story.includes(`KIE task ${id} on key`))).toBe(true);
    expect(story).toMatch(/notifier\.deliveries +message video to chat 7400001: sent, telegram message \d+/);
    expect(story).toMatch(/orchestrator\.jobs +video #1 .* delivered/);
    // In time order.
    const times = lines.slice(1).filter((l) => /^\d{4}-/.test(l)).map((l) => Date.parse(l.slice(0, 24)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(story).not.toContain('not read:');

    // The grant's reason is in the ledger.
    const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => undefined });
    try {
      const [line] = await sql<{ granted_by: string }[]>`
        select granted_by from billing.ledger where user_id = ${seller.userId} and kind = 'grant'`;
      expect(line?.granted_by).toBe('ops: support ticket 42');
    } finally {
      await sql.end();
    }

    // The same through the root script, as an operator types it.
    const cli = spawnSync('pnpm', ['--silent', 'ops', 'order', orderId], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('jobs.order.completed.v1');
  });

  it('keys, unblock, model on|off and dead list answer from the services', async () => {
    const keys = await runOps(['keys'], env);
    expect(keys).toMatch(/^queue: \d+ video\(s\) waiting/);
    expect(keys).toMatch(/name=main .*state=ok/);
    expect(keys).toMatch(/name=backup .*state=ok/);
    expect(await runOps(['unblock', 'nosuchkey'], env)).toBe('no key or account named nosuchkey');
    expect(await runOps(['unblock', 'main'], env)).toBe('main: nothing was blocked or cooling');
    const model = keys.match(/models:\nid=(\S+)/)?.[1];
    expect(model).toBeDefined();
    expect(await runOps(['model', model!, 'off'], env)).toBe(`${model}: not offered`);
    expect(await runOps(['model', model!, 'on'], env)).toBe(`${model}: offered`);
    await expect(runOps(['model', model!, 'maybe'], env)).rejects.toThrow(UsageError);
    // A message no handler can take is parked; the operator lists and replays it.
    await jetstream(stack.nc).publish('kie.queue.cancel.v1', '{"not":"an event"}');
    const parked = await eventually(async () => {
      const out = await runOps(['dead', 'list', 'kie-dispatcher-queue-cancel'], env);
      return /^1 parked$/m.test(out) ? out : null;
    }, 30_000, 200);
    const [seq, , consumer, subject] = parked.split('\n')[0]!.split('\t');
    expect([consumer, subject]).toEqual(['kie-dispatcher-queue-cancel', 'kie.queue.cancel.v1']);
    expect(await runOps(['dead', 'replay', seq!], env)).toBe(`${seq} → kie.queue.cancel.v1`);
    // Still invalid: parked again, under a new sequence.
    const again = await eventually(async () => {
      const out = await runOps(['dead', 'list', 'kie-dispatcher-queue-cancel'], env);
      return /^1 parked$/m.test(out) && !out.startsWith(`${seq}\t`) ? out : null;
    }, 30_000, 200);
    expect(again).toContain('kie.queue.cancel.v1');
    await expect(runOps(['nonsense'], env)).rejects.toThrow(/unknown command nonsense/);
  });
});
