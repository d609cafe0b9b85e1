import { createLogger, createRuntime } from '@neurocards/platform';
import { loadGatewayConfig } from './config';
import { createGateway } from './gateway';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const rt = await createRuntime({
    service: 'bot-gateway',
    config,
    httpPort: config.HTTP_PORT,
  });
  const gateway = await createGateway(config, rt);
  // bot-gateway owns no JetStream consumers: its input is Telegram.
  await rt.start();
  try {
    await gateway.start();
  } catch (err) {
    rt.log.fatal({ err }, 'could not start the bot');
    await rt.shutdown.run('start failed');
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  createLogger('bot-gateway').fatal({ err }, 'bot-gateway failed to start');
  process.exit(1);
});
