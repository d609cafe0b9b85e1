import { fileURLToPath } from 'node:url';
import path from 'node:path';

import type { ServiceName } from '@neurocards/contracts';

// The names and default ports live once, in contracts; the launcher starts them in that order.
export { DEFAULT_PORTS, SERVICES, type ServiceName } from '@neurocards/contracts';

// Both src/ (tsx, tests) and the built dist/start.js sit one level below packages/launcher.
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function serviceDir(name: ServiceName): string {
  return path.join(REPO_ROOT, 'apps', name);
}

/** The built entry point (`pnpm build`), what production runs with plain `node`. */
export function serviceEntry(name: ServiceName): string {
  return path.join(serviceDir(name), 'dist', 'main.js');
}
