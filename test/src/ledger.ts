import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '@neurocards/launcher';

export interface ReconcileRun {
  code: number | null;
  output: string;
}

/**
 * `pnpm --filter @neurocards/billing reconcile` as an operator runs it (the same script,
 * `apps/billing/src/reconcile-cli.ts`), against the run's database.
 */
export function runReconcile(databaseUrl: string): Promise<ReconcileRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/reconcile-cli.ts'], {
      cwd: path.join(REPO_ROOT, 'apps/billing'),
      env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * Billing's books reconcile (exit 0). Credits settle through events, so a capture or refund
 * still on its way can leave a finding for a moment: the check is repeated until clean or
 * `timeoutMs` passes, and the last findings are thrown.
 */
export async function expectLedgerReconciles(databaseUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runReconcile(databaseUrl);
    if (r.code === 0) return;
    // Exit 2 (could not check: e.g. PostgreSQL out of connections for a moment) is tried again too.
    if (Date.now() > deadline) throw new Error(`billing does not reconcile (exit ${r.code}):\n${r.output}`);
    await sleep(1000);
  }
}
