#!/usr/bin/env node
/**
 * The production build: each service becomes one ESM file of plain JavaScript,
 * `apps/<service>/src/main.ts` → `apps/<service>/dist/main.js` (+ source map), and the
 * launcher behind `pnpm start` becomes `packages/launcher/dist/start.js`.
 *
 *   node scripts/build.mjs [target...] [--force]
 *
 * Targets: billing, orchestrator, kie-dispatcher, notifier, bot-gateway, launcher, provision
 * (`packages/platform/dist/provision-cli.js`) (default: all).
 *
 * The `@neurocards/*` workspace code is bundled in (the packages export TypeScript sources,
 * which plain `node` cannot load); third-party packages stay external and come from the
 * target's own node_modules (`pnpm deploy --prod` in the image). The build fails when the
 * bundle imports a package that the target's package.json does not list in `dependencies`,
 * because the image installs exactly those.
 *
 * A target is rebuilt only when stale: `dist/.build-stamp.json` holds a hash over the
 * contents of every source file that went into the bundle (esbuild's metafile), the
 * package.json and tsconfig files, this script and esbuild's version. Contents, not mtimes,
 * so a checkout or a copy never fools it; hashing a few hundred small files takes
 * milliseconds, so `pnpm start`, the sandbox and the e2e suite call it every time.
 *
 * Plain JavaScript on purpose: it must run before anything is built and without tsx.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const SERVICES = ['billing', 'orchestrator', 'kie-dispatcher', 'notifier', 'bot-gateway'];

/** name → package directory (relative to the root), entry and output file. */
const TARGETS = {
  ...Object.fromEntries(
    SERVICES.map((s) => [s, { dir: `apps/${s}`, entry: 'src/main.ts', out: 'dist/main.js' }]),
  ),
  launcher: { dir: 'packages/launcher', entry: 'src/start.ts', out: 'dist/start.js' },
  // The deploy-time provisioning Job's entry (NATS_PROVISION=check in production).
  provision: { dir: 'packages/platform', entry: 'src/provision-cli.ts', out: 'dist/provision-cli.js' },
};
const STAMP = 'dist/.build-stamp.json';
const BUILTINS = new Set(builtinModules);

/** Bare specifiers other than our workspace packages are left for Node to resolve at run time. */
const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@neurocards/') || path.isAbsolute(args.path)) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isBuiltin(specifier) {
  return specifier.startsWith('node:') || BUILTINS.has(specifier) || BUILTINS.has(packageName(specifier));
}

/** Files besides the bundled sources whose change can change the output. */
function configFiles(target, inputs) {
  const files = new Set([`${target.dir}/package.json`, `${target.dir}/tsconfig.json`, 'tsconfig.base.json']);
  for (const input of inputs) {
    const m = /^(packages\/[^/]+|apps\/[^/]+|sandbox)\//.exec(input);
    if (m) files.add(`${m[1]}/package.json`);
  }
  return [...files].filter((f) => existsSync(path.join(ROOT, f)));
}

/** Hash over the inputs' contents; undefined when one of them no longer exists. */
function digest(files) {
  const h = createHash('sha256').update(esbuildVersion).update(readFileSync(SELF));
  for (const f of [...files].sort()) {
    const abs = path.join(ROOT, f);
    if (!existsSync(abs)) return undefined;
    h.update(`\0${f}\0`).update(readFileSync(abs));
  }
  return h.digest('hex');
}

function isFresh(target) {
  const stampFile = path.join(ROOT, target.dir, STAMP);
  if (!existsSync(stampFile) || !existsSync(path.join(ROOT, target.dir, target.out))) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    return digest(stamp.files) === stamp.hash;
  } catch {
    return false;
  }
}

/** Writes via a temporary file and a rename, so a concurrent start never loads half a bundle. */
function writeAtomically(file, contents) {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

async function buildTarget(name) {
  const target = TARGETS[name];
  const outfile = path.join(ROOT, target.dir, target.out);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, target.dir, target.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Stack traces point at the TypeScript sources (`node --enable-source-maps`); the
    // sources themselves stay out of the map to keep the image small.
    sourcemap: 'linked',
    sourcesContent: false,
    // pino's error serializer and our logs print constructor names; bundling must not rename them.
    keepNames: true,
    metafile: true,
    write: false,
    logLevel: 'warning',
    plugins: [externalThirdParty],
  });

  const pkg = JSON.parse(readFileSync(path.join(ROOT, target.dir, 'package.json'), 'utf8'));
  const deps = new Set(Object.keys(pkg.dependencies ?? {}));
  const imported = new Set();
  for (const out of Object.values(result.metafile.outputs)) {
    for (const imp of out.imports)
      if (imp.external && !isBuiltin(imp.path)) imported.add(packageName(imp.path));
  }
  const missing = [...imported].filter((p) => !deps.has(p)).sort();
  if (missing.length > 0) {
    throw new Error(
      `${name}: the bundle imports ${missing.join(', ')}, which ${target.dir}/package.json does not list in ` +
        `"dependencies" (the image installs only those; add them with the version the importing package uses)`,
    );
  }

  for (const file of result.outputFiles) writeAtomically(file.path, file.contents);
  const sources = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  const files = [...sources, ...configFiles(target, sources)];
  const stamp = { hash: digest(files), files: files.sort(), externals: [...imported].sort() };
  writeAtomically(path.join(ROOT, target.dir, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
}

const args = process.argv.slice(2);
const force = args.includes('--force');
const names = args.filter((a) => !a.startsWith('--'));
for (const n of names) {
  if (!(n in TARGETS)) {
    process.stderr.write(`build: unknown target ${n} (known: ${Object.keys(TARGETS).join(', ')})\n`);
    process.exit(2);
  }
}
const wanted = names.length > 0 ? names : Object.keys(TARGETS);
const stale = wanted.filter((n) => force || !isFresh(TARGETS[n]));
if (stale.length === 0) {
  process.stdout.write(`build: up to date (${wanted.join(', ')})\n`);
} else {
  const started = Date.now();
  const results = await Promise.allSettled(stale.map(buildTarget));
  const failed = results.filter((r) => r.status === 'rejected');
  for (const r of failed)
    process.stderr.write(`build: ${r.reason instanceof Error ? r.reason.message : r.reason}\n`);
  if (failed.length > 0) process.exit(1);
  process.stdout.write(`build: ${stale.join(', ')} in ${Date.now() - started} ms\n`);
}
