// Adds up the vitest JSON reports every package wrote during `pnpm test` and prints one
// closing line, `Tests: N passed, N failed, N skipped`; exits non-zero when any failed or
// none ran, so a suite that silently runs nothing cannot pass.
//
// `--chaos 1,2` also counts the invariants of the chaos runs with those seeds (each run writes
// test/.logs/chaos-<seed>-report.json) and prints the totals in vitest's own summary shape as the
// last lines of the whole test command, so whoever reads the end of a CI log sees every test.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { chaosReport, root, vitestReports } from './reports.mjs';

let files = 0;
let failedFiles = 0;
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of vitestReports) {
  if (!existsSync(file)) continue;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  // A file that fails to load counts as a failure even though none of its tests ran.
  const brokenFiles = r.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
  failed += r.numFailedTests + brokenFiles;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  files += r.testResults.length;
  failedFiles += r.testResults.filter((f) => f.status === 'failed').length;
}

const chaosArg = process.argv.indexOf('--chaos');
const seeds = chaosArg > 0 ? process.argv[chaosArg + 1].split(',').filter(Boolean) : [];
for (const seed of seeds) {
  const report = chaosReport(seed);
  files++;
  if (!existsSync(report)) {
    failed++;
    failedFiles++;
    process.stdout.write(`chaos seed ${seed}: no report at ${path.relative(root, report)}\n`);
    continue;
  }
  const { checks } = JSON.parse(readFileSync(report, 'utf8'));
  const bad = checks.filter((c) => !c.pass).length;
  passed += checks.length - bad;
  failed += bad;
  if (bad > 0) failedFiles++;
}

if (seeds.length > 0) {
  const parts = (p, f, s) => [f && `${f} failed`, `${p} passed`, s && `${s} skipped`].filter(Boolean).join(' | ');
  process.stdout.write(
    `\n Test Files  ${parts(files - failedFiles, failedFiles, 0)} (${files})\n` +
      `      Tests  ${parts(passed, failed, skipped)} (${passed + failed + skipped})\n\n`,
  );
}
process.stdout.write(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
