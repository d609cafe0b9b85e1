// Where the test command's reports are: each package's vitest JSON report, and each chaos
// seed's invariant report. `clean-reports.mjs` removes them before a run, `test-summary.mjs`
// adds them up after it.
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Every `.vitest-report.json` a package of the repo may write. */
export const vitestReports = [
  ...['apps', 'packages'].flatMap((d) => readdirSync(path.join(root, d)).map((n) => path.join(root, d, n))),
  ...['sandbox', 'test', 'test/browser', 'infra/k8s'].map((d) => path.join(root, d)),
].map((dir) => path.join(dir, '.vitest-report.json'));

export const chaosLogs = path.join(root, 'test/.logs');
export const chaosReport = (seed) => path.join(chaosLogs, `chaos-${seed}-report.json`);
export const isChaosReport = (file) => /^chaos-.+-report\.json$/.test(file);
