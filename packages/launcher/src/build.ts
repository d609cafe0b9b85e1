import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, SERVICES } from './services';

/** What `scripts/build.mjs` knows how to build: the five services, this launcher, the provisioning CLI. */
export type BuildTarget = (typeof SERVICES)[number] | 'launcher' | 'provision';

/**
 * Builds the targets whose bundle is missing or stale (`scripts/build.mjs`: a content hash
 * of their sources against a stamp), and resolves once all are current. Cheap when nothing
 * changed, so every entry point that starts services calls it once before launching:
 * `pnpm start`, the sandbox, the e2e suite's global setup. The script runs in a child
 * process because it is plain JavaScript that must also run before anything is built.
 */
export async function ensureBuilt(targets: readonly BuildTarget[] = SERVICES): Promise<void> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'build.mjs'), ...targets], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0)
    throw new Error(`the build failed (scripts/build.mjs exited ${code}); see its output above`);
}
