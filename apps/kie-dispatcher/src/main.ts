import { createRuntime, runMain, openKv, openObjectStore, serveRpc } from '@neurocards/platform';
import { migrations, SCHEMA } from './adapters/migrations';
import { loadConfig } from './config';
import { createDispatcher } from './dispatcher';

runMain('kie-dispatcher', async () => {
  const config = loadConfig();
  const rt = await createRuntime({
    service: 'kie-dispatcher',
    config,
    httpPort: config.HTTP_PORT,
    database: { url: config.DATABASE_URL, schema: SCHEMA, migrations },
  });

  const dispatcher = createDispatcher({
    sql: rt.sql,
    kv: await openKv(rt.nc, 'kie_keys', config.NATS_REPLICAS),
    modelsKv: await openKv(rt.nc, 'kie_models', config.NATS_REPLICAS),
    photosBucket: await openObjectStore(rt.nc, 'photos', config.NATS_REPLICAS),
    registry: rt.metrics.registry,
    config,
    log: rt.log,
  });
  dispatcher.registerRoutes(rt.http);
  // The offer bot-gateway reads: written before the first order can arrive.
  const offer = await dispatcher.publishOffer();
  await rt.consume(dispatcher.handlers);
  const rpcs = [
    serveRpc(rt.nc, 'kie.keys.stats', 'kie-dispatcher', dispatcher.stats, rt.log),
    serveRpc(rt.nc, 'kie.keys.unblock', 'kie-dispatcher', dispatcher.unblock, rt.log),
    serveRpc(rt.nc, 'kie.models.set', 'kie-dispatcher', dispatcher.setModel, rt.log),
    serveRpc(rt.nc, 'kie.queue.estimate', 'kie-dispatcher', dispatcher.estimate, rt.log),
  ];
  dispatcher.startLoops();
  // After consumers stop: end the ticks in hand within a few seconds (uploads aborted, a sent
  // createTask keeps its lease and is resumed by the next start), then stop answering RPCs,
  // before NATS and Postgres close.
  rt.shutdown.add('loops', () => dispatcher.stopLoops());
  rt.shutdown.add('rpc', () => Promise.all(rpcs.map((s) => s.drain())));
  await rt.start();
  rt.log.info(
    {
      keys: config.KIE_API_KEYS.map((k) => `${k.account ?? k.name}/${k.name}`),
      models: config.models,
      offered: offer.models.map((m) => m.id),
    },
    'kie-dispatcher ready',
  );
});
