// Adds up the vitest JSON reports every package wrote during `pnpm test` and prints one
// closing line, `Tests: N passed, N failed, N skipped`; exits non-zero when any failed or
// none ran, so a suite that silently runs nothing cannot pass.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dirs = ['apps', 'packages'].flatMap((d) => readdirSync(path.join(root, d)).map((n) => path.join(root, d, n)));
dirs.push(path.join(root, 'sandbox'), path.join(root, 'test'), path.join(root, 'infra/k8s'));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of dirs) {
  const file = path.join(dir, '.vitest-report.json');
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  // A file that fails to load counts as a failure even though none of its tests ran.
  const brokenFiles = r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  failed += r.numFailedTests + brokenFiles;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
process.stdout.write(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
