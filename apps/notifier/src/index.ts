export { loadConfig, schema, type Config } from './config';
export { startNotifier } from './service';
export { migrations, SCHEMA } from './adapters/migrations';
