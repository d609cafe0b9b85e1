import { createRuntime, runMain } from '@neurocards/platform';
import { createLedger } from './adapters/ledger';
import { createBillingMetrics, registerLedgerMetrics } from './adapters/metrics';
import { migrations, SCHEMA } from './adapters/migrations';
import { loadConfig } from './config';
import { createConsumers } from './handlers/consumers';
import { createRpcHandlers, serveBillingRpc } from './handlers/rpc';

runMain('billing', async () => {
  const config = loadConfig();
  const rt = await createRuntime({
    service: 'billing',
    config,
    httpPort: config.HTTP_PORT,
    database: { url: config.DATABASE_URL, schema: SCHEMA, migrations, poolSize: config.BILLING_DB_POOL_SIZE },
  });
  const sql = rt.sql;
  const ledger = createLedger();

  const metrics = createBillingMetrics(rt.metrics.registry);
  registerLedgerMetrics({ registry: rt.metrics.registry, sql, log: rt.log });

  await rt.consume(createConsumers({ sql, ledger, metrics }));
  const subs = serveBillingRpc(rt.nc, createRpcHandlers({ sql, ledger, log: rt.log }), rt.log);
  // Stop answering before the pool closes; requests in hand finish during drain.
  rt.shutdown.add('rpc', () => Promise.all(subs.map((s) => s.drain())));
  await rt.start();
});
