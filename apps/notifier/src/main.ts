import { runMain } from '@neurocards/platform';
import { loadConfig } from './config';
import { startNotifier } from './service';

runMain('notifier', async () => {
  const config = loadConfig();
  await startNotifier(config);
});
