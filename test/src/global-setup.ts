import { ensureBuilt } from '@neurocards/launcher';

/**
 * The e2e suite starts the services from their built bundles, as `pnpm start` and the
 * image do; build them once per run (only what is stale), not once per service start.
 */
export default async function setup(): Promise<void> {
  await ensureBuilt();
}
