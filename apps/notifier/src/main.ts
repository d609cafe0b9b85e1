import { loadConfig } from './config';
import { startNotifier } from './service';

const config = loadConfig();
await startNotifier(config);
