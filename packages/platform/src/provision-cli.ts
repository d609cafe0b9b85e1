/**
 * Deploy-time provisioning of the JetStream topology, for services running with
 * `NATS_PROVISION=check` (production):
 *
 *   node packages/platform/dist/provision-cli.js          # built by `node scripts/build.mjs provision`
 *   pnpm provision                                         # the same from the sources
 *
 * Creates or updates every stream, durable consumer, KV bucket and object store of the
 * contracts catalog (packages/contracts/src/topology.ts) with `NATS_REPLICAS` replicas.
 * Idempotent: a second run changes nothing. Connects with `NATS_URL` and, on a server with
 * the generated users, the admin's `NATS_USER`/`NATS_PASSWORD` (services' users may not
 * create other services' consumers). Exits 0 when done, 1 with the reason otherwise.
 */
import { commonEnv, parseEnv } from './config';
import { createLogger } from './logger';
import { connectNats, jetstreamManager } from './nats';
import { provisionAll } from './provision';
import { z } from 'zod';

const config = parseEnv(z.object(commonEnv));
const log = createLogger('provision', config.LOG_LEVEL);

try {
  const nc = await connectNats(config.NATS_URL, 'provision', log, { user: config.NATS_USER, pass: config.NATS_PASSWORD });
  const report = await provisionAll(nc, await jetstreamManager(nc), config.NATS_REPLICAS);
  log.info({ replicas: config.NATS_REPLICAS, ...report }, 'JetStream topology provisioned');
  await nc.drain();
  process.exit(0);
} catch (err) {
  log.fatal({ err }, 'provisioning failed');
  process.exit(1);
}
