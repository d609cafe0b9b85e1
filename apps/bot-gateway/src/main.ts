import { createRuntime, runMain } from '@neurocards/platform';
import { loadConfig } from './config';
import { createGateway } from './gateway';

runMain('bot-gateway', async () => {
  const config = loadConfig();
  const rt = await createRuntime({
    service: 'bot-gateway',
    config,
    httpPort: config.HTTP_PORT,
  });
  const gateway = await createGateway(config, rt);
  // The UPDATES consumer (polling mode only) is started by gateway.start(), after getMe.
  await rt.start();
  try {
    await gateway.start();
  } catch (err) {
    // Close NATS and HTTP in order before runMain logs the failure and exits.
    await rt.shutdown.run('start failed');
    throw err;
  }
});
