import { createRuntime, runMain, openObjectStore, serveRpc } from '@neurocards/platform';
import { loadConfig } from './config';
import { migrations, SCHEMA } from './adapters/migrations';
import { createOpenAiWriter } from './adapters/openai';
import { objectStorePhotos } from './adapters/photos';
import { createSagaMetrics } from './adapters/metrics';
import { createHandlers, ordersListHandler, startSweeper, statsHandler, videoGetHandler } from './handlers';

runMain('orchestrator', async () => {
  const config = loadConfig();
  const rt = await createRuntime({
    service: 'orchestrator',
    config,
    httpPort: config.HTTP_PORT,
    database: { url: config.DATABASE_URL, schema: SCHEMA, migrations },
  });
  const sql = rt.sql;
  const log = rt.log;

  const photos = objectStorePhotos(await openObjectStore(rt.nc, 'photos', config.NATS_REPLICAS));
  const writer = config.OPENAI_API_KEY
    ? createOpenAiWriter({
        apiKey: config.OPENAI_API_KEY,
        baseURL: config.OPENAI_BASE_URL,
        model: config.OPENAI_MODEL,
        timeoutMs: config.OPENAI_TIMEOUT,
      })
    : null;
  if (!writer) log.warn('OPENAI_API_KEY is not set: prompts come from the templates');

  const deps = {
    sql,
    log,
    photos,
    writer,
    generationDeadlineMs: config.GENERATION_DEADLINE,
    promptPerSeller: config.PROMPT_PER_SELLER,
    metrics: createSagaMetrics(rt.metrics.registry),
  };

  await rt.consume(createHandlers(deps));
  const stats = serveRpc(rt.nc, 'orchestrator.stats.get', 'orchestrator', statsHandler(sql), log);
  const orders = serveRpc(rt.nc, 'orchestrator.orders.list', 'orchestrator', ordersListHandler(sql), log);
  const video = serveRpc(rt.nc, 'orchestrator.video.get', 'orchestrator', videoGetHandler(sql), log);
  const sweeper = startSweeper(deps, config.DEADLINE_SWEEP_INTERVAL);
  rt.shutdown.add('deadline sweeper', () => sweeper.stop());
  rt.shutdown.add('stats rpc', () => stats.unsubscribe());
  rt.shutdown.add('orders rpc', () => orders.unsubscribe());
  rt.shutdown.add('video rpc', () => video.unsubscribe());
  await rt.start();
});
