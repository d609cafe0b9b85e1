import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reconcile, runOps, UsageError } from './commands';

/** Bad input is refused before anything connects (no NATS, no database here). */
describe('pnpm ops: usage', () => {
  const env = { NATS_URL: 'nats://127.0.0.1:1' };
  it.each([
    [[], /usage: pnpm ops/],
    [['nonsense'], /unknown command nonsense/],
    [['unblock'], /unblock <key\|account>/],
    [['model', 'veo3_fast'], /model <id> on\|off/],
    [['grant', '42', '5'], /--reason <text> is required/],
    [['grant', '42', '0', '--reason', 'x'], /whole number from 1 to 1000000/],
    [['grant', '-1', '5', '--reason', 'x'], /tg_id/],
    [['grant', '42', '5', '--reason'], /--reason needs a value/],
    [['dead', 'replay'], /dead replay <seq>/],
    [['dead', 'replay', 'x'], /dead replay <seq>/],
    [['dead', 'purge'], /dead list/],
    [['order'], /order <orderId>/],
    [['order', 'abc'], /DATABASE_URL is required/],
  ])('%j', async (argv, message) => {
    const err = await runOps(argv, env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('pnpm ops reconcile', () => {
  it('fails clearly, running nothing, while billing has no reconcile script', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ops-'));
    try {
      mkdirSync(path.join(root, 'apps/billing'), { recursive: true });
      writeFileSync(path.join(root, 'apps/billing/package.json'), JSON.stringify({ scripts: { start: 'x' } }));
      expect(() => reconcile([], {}, root)).toThrow(/apps\/billing\/package.json has no "reconcile" script/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
