// Removes the previous run's vitest JSON reports and chaos reports, so the summary counts only this run.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dirs = ['apps', 'packages'].flatMap((d) => readdirSync(path.join(root, d)).map((n) => path.join(root, d, n)));
for (const dir of [...dirs, path.join(root, 'sandbox'), path.join(root, 'test'), path.join(root, 'test/browser'), path.join(root, 'infra/k8s')]) {
  rmSync(path.join(dir, '.vitest-report.json'), { force: true });
}
const logs = path.join(root, 'test/.logs');
if (existsSync(logs)) for (const f of readdirSync(logs)) if (/^chaos-.+-report\.json$/.test(f)) rmSync(path.join(logs, f));
