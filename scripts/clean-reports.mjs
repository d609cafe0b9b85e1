// Removes the previous run's vitest JSON reports and chaos reports, so the summary counts only this run.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chaosLogs, isChaosReport, vitestReports } from './reports.mjs';

for (const file of vitestReports) rmSync(file, { force: true });
if (existsSync(chaosLogs)) for (const f of readdirSync(chaosLogs)) if (isChaosReport(f)) rmSync(path.join(chaosLogs, f));
