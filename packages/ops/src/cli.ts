/**
 * `pnpm ops …`: what the nats CLI cannot do (RUNBOOK.md). Exit codes: 0 done, 1 failed,
 * 2 bad usage (nothing changed).
 */
import { runOps, UsageError } from './commands';

try {
  process.stdout.write(`${await runOps(process.argv.slice(2))}\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
}
