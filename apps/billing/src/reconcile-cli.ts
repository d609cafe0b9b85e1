/**
 * `pnpm --filter @neurocards/billing reconcile`: checks billing's books (adapters/reconcile.ts)
 * in the database of DATABASE_URL, prints what is off per account, and exits 1 when anything
 * is (2 when it could not check at all). Read only: it never changes a row.
 */
import { z } from 'zod';
import { connectPostgres, createLogger, parseEnv, databaseEnv } from '@neurocards/platform';
import { formatFindings, reconcile } from './adapters/reconcile';
import { SCHEMA } from './adapters/migrations';

async function main(): Promise<number> {
  const { DATABASE_URL } = parseEnv(z.object({ ...databaseEnv }), process.env);
  const log = createLogger('billing-reconcile', 'warn');
  const sql = connectPostgres({ url: DATABASE_URL, schema: SCHEMA, log, max: 1 });
  try {
    const findings = await reconcile(sql);
    process.stdout.write(`${formatFindings(findings)}\n`);
    return findings.length === 0 ? 0 : 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`reconcile could not run: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
