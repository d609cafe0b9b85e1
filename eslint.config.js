// One lint setup for the whole workspace; each package runs `eslint src` (and its test folders).
import { readFileSync, existsSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Services talk only through contracts: no app imports another app's code. */
const appIsolation = {
  group: [
    '@neurocards/bot-gateway',
    '@neurocards/billing',
    '@neurocards/orchestrator',
    '@neurocards/kie-dispatcher',
    '@neurocards/notifier',
    '**/apps/*/**',
    '../../*/src/**',
  ],
  message: 'apps exchange events through @neurocards/contracts, never code',
};

/** What only tests may import: test runners, test support, fixtures, simulators. */
const testOnly = {
  group: ['vitest', 'vitest/*', '@neurocards/*/testing', '**/testing', '**/test/**', '**/test-*', '**/*.test', '@neurocards/sandbox'],
  message: 'production code must not import test support; move the helper into the code or the import into a test',
};

/** The nearest package.json of a file, read once per directory. */
const manifests = new Map();
function manifestOf(file) {
  let dir = path.dirname(file);
  if (manifests.has(dir)) return manifests.get(dir);
  const start = dir;
  for (;;) {
    const p = path.join(dir, 'package.json');
    if (existsSync(p)) {
      const m = JSON.parse(readFileSync(p, 'utf8'));
      manifests.set(start, m);
      return m;
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
const packageName = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/**
 * A production file may import only what its package.json lists under `dependencies`
 * (devDependencies exist at test time only). The equivalent of import-x's
 * no-extraneous-dependencies with devDependencies off, without another plugin to resolve.
 * Workspace packages (`workspace:*`) count wherever they are listed: `pnpm build` bundles
 * them into each service's dist/main.js, so apps list them as devDependencies and the
 * image installs only the npm packages the bundle imports (scripts/build.mjs checks that).
 */
const noDevDependencies = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const manifest = manifestOf(context.filename);
    if (!manifest) return {};
    const workspace = Object.entries(manifest.devDependencies ?? {})
      .filter(([, version]) => String(version).startsWith('workspace:'))
      .map(([name]) => name);
    const allowed = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...workspace]);
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      if (spec.startsWith('.') || spec.startsWith('/') || isBuiltin(spec)) return;
      // Type-only imports are erased at build time.
      if (node.importKind === 'type') return;
      const name = packageName(spec);
      if (!allowed.has(name)) {
        context.report({
          node: source,
          message: `'${name}' is not in ${manifest.name}'s dependencies; production code may not import a devDependency or an undeclared package`,
        });
      }
    };
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => check(n, n.source),
    };
  },
};

/** Files production runs: everything under apps/* and packages/* src, except tests and test support. */
const production = ['apps/*/src/**/*.ts', 'packages/*/src/**/*.ts'];
const notProduction = [
  '**/*.test.ts',
  // The test-support entry points of platform and contracts (`./testing` exports).
  'packages/*/src/testing.ts',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.turbo/**', '**/.sandbox/**', 'sandbox/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      // Type-aware rules (switch-exhaustiveness-check) read each package's tsconfig.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // The compiler finds the case someone forgot: every union member, or a default where
      // the switched value is not a union.
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false, requireDefaultForNonUnion: false },
      ],
    },
  },
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['apps/**/*.ts', 'packages/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [appIsolation] }],
    },
  },
  {
    // No production file imports a test helper or a devDependency.
    files: production,
    ignores: notProduction,
    plugins: { neurocards: { rules: { 'no-dev-dependencies': noDevDependencies } } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [appIsolation, testOnly] }],
      'neurocards/no-dev-dependencies': 'error',
    },
  },
);
