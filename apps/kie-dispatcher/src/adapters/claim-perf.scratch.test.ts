import { afterAll, beforeAll, it } from 'vitest';
import { createSubmitConsumer } from '../handlers/submit-consumer';
import { ctx, setupInfra, submitCommand } from '../../test/testing';
import { claimForSubmit } from './tasks-repo';

let env: Awaited<ReturnType<typeof setupInfra>>;
beforeAll(async () => { env = await setupInfra(); });
afterAll(() => env.close());

it('claim perf', async () => {
  const at = Date.parse('2026-12-01T17:00:00Z');
  const handler = createSubmitConsumer({ sql: env.sql, defaultModel: 'kling-3.0/video', clock: () => at });
  const orderId = crypto.randomUUID();
  const cmd = submitCommand({ orderId, seller: 1, index: 1 });
  await handler(cmd, ctx());
  const N = Number(process.env.N ?? 10000);
  const MULTI = process.env.MULTI === '1';
  await env.sql`insert into tasks select (r).* from (select jsonb_populate_record(null::tasks, to_jsonb(t) || jsonb_build_object(
      'job_id', t.job_id || '-' || g,
      'seller', case when ${MULTI} then (g % 500)::text else t.seller end,
      'job_index', case when ${MULTI} then 1 + (g / 500) else t.job_index end,
      'queued_at', t.queued_at + (g || ' ms')::interval)) r
    from tasks t, generate_series(1, ${N}) g) s`;
  await env.sql`analyze tasks`;
  const plan = await env.sql.unsafe(`explain analyze select 1`);
  let total = 0;
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    const rows = await claimForSubmit(env.sql, { now: new Date(at + 1000), limit: 8, leaseMs: 60_000 });
    await env.sql`update tasks set state='running' where job_id in ${env.sql(rows.map((r) => r.jobId))}`;
    total += performance.now() - t;
  }
  console.log(`claim of 8 from ${N} due rows: ${(total / 10).toFixed(1)} ms`, plan.length);
}, 300_000);
