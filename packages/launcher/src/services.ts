import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The five services, in start order (consumers first, the bot last). */
export const SERVICES = ['billing', 'orchestrator', 'kie-dispatcher', 'notifier', 'bot-gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

// Both src/ (tsx, tests) and the built dist/start.js sit one level below packages/launcher.
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function serviceDir(name: ServiceName): string {
  return path.join(REPO_ROOT, 'apps', name);
}

/** The built entry point (`pnpm build`), what production runs with plain `node`. */
export function serviceEntry(name: ServiceName): string {
  return path.join(serviceDir(name), 'dist', 'main.js');
}

/** `<SERVICE>_HTTP_PORT`, the variable each service reads when one launcher starts all five. */
export function portVariable(name: ServiceName): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_HTTP_PORT`;
}
