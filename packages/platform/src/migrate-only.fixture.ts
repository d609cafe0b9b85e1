/**
 * A service started as the migrations Job starts it: `node <service> --migrate-only`.
 * NATS_URL points at a port nobody listens on, so touching NATS would hang the child.
 */
import { createRuntime } from './runtime';

await createRuntime({
  service: 'billing',
  config: { NATS_URL: 'nats://127.0.0.1:1', NATS_REPLICAS: 1, LOG_LEVEL: 'info' },
  httpPort: 0,
  database: {
    url: process.env.DATABASE_URL!,
    schema: 'migrate_only',
    migrations: [{ version: 1, name: 'widgets', up: 'create table widgets (id int primary key)' }],
  },
});
process.stdout.write('createRuntime returned: --migrate-only did not exit\n');
process.exit(3);
