import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from './build';
import { REPO_ROOT, SERVICES, serviceDir, serviceEntry } from './services';

const run = promisify(execFile);

/** Every module specifier of an ESM bundle: static imports, re-exports and dynamic imports. */
function importSpecifiers(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.add(m[1]!);
  return [...found];
}

const packageName = (spec: string) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');
const builtins = new Set(builtinModules);

describe('the production build', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 120_000);

  it.each(SERVICES)(
    '%s: the bundle imports only its production dependencies, never tsx or workspace sources',
    (name) => {
      const pkg = JSON.parse(readFileSync(path.join(serviceDir(name), 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const deps = new Set(Object.keys(pkg.dependencies ?? {}));
      const external = importSpecifiers(readFileSync(serviceEntry(name), 'utf8'))
        .filter((s) => !s.startsWith('node:') && !builtins.has(packageName(s)))
        .map(packageName);

      expect(external.length).toBeGreaterThan(0);
      expect(external.filter((p) => !deps.has(p))).toEqual([]);
      expect(external.filter((p) => p === 'tsx' || p.startsWith('@neurocards/'))).toEqual([]);
      expect(
        importSpecifiers(readFileSync(serviceEntry(name), 'utf8')).filter((s) => s.startsWith('.')),
      ).toEqual([]);
    },
  );

  it.each(SERVICES)('%s: plain node loads the bundle and every import resolves', async (name) => {
    // With an invalid variable the service gets as far as validating its configuration and
    // stops, before it connects anywhere: ESM links every static import before running a
    // line, so reaching the config check proves the bundle and its dependencies load.
    const err = await run(process.execPath, [serviceEntry(name)], {
      cwd: serviceDir(name),
      env: { PATH: process.env.PATH, NATS_REPLICAS: '0', NATS_URL: 'nats://127.0.0.1:1' },
    }).then(
      () => undefined,
      (e: { code?: number; stdout?: string; stderr?: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)|SyntaxError/);
    expect(err?.stdout).toContain(`${name} failed to start`);
    expect(err?.stdout).toContain('NATS_REPLICAS');
  });

  it('a second build with unchanged sources rebuilds nothing', async () => {
    const { stdout } = await run(process.execPath, [
      path.join(REPO_ROOT, 'scripts', 'build.mjs'),
      ...SERVICES,
    ]);
    expect(stdout).toContain('up to date');
  });
});
