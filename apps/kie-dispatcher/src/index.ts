export { migrations, SCHEMA } from './adapters/migrations';
export { createDispatcher, type Dispatcher, type DispatcherConfig } from './dispatcher';
export { loadKieConfig, type Config } from './config';
export { webhookSignature } from './handlers/callback';
