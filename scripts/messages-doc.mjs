// Regenerates the tables of docs/messages.md from the locale files (apps/*/locales/{ru,en}.json),
// keeping the prose around them: `node scripts/messages-doc.mjs`. Each section whose heading
// starts with `## <app> ` gets that app's keys, in the order of its ru.json.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC = path.join(ROOT, 'docs/messages.md');
const cell = (s) => String(s).replaceAll('|', '\\|').replaceAll('\n', '<br>');

const lines = readFileSync(DOC, 'utf8').split('\n');
const out = [];
for (let i = 0; i < lines.length; i++) {
  const line = lines[i];
  out.push(line);
  const m = /^## ([a-z-]+) /.exec(line);
  if (!m) continue;
  const app = m[1];
  const load = (l) => JSON.parse(readFileSync(path.join(ROOT, 'apps', app, 'locales', `${l}.json`), 'utf8'));
  const ru = load('ru');
  const en = load('en');
  // Copy the prose up to the table, replace the table.
  for (i++; i < lines.length && !lines[i].startsWith('| key |'); i++) out.push(lines[i]);
  out.push('| key | ru | en |', '|---|---|---|');
  for (const key of Object.keys(ru)) out.push(`| \`${key}\` | ${cell(ru[key])} | ${cell(en[key] ?? '')} |`);
  for (i++; i < lines.length && lines[i].startsWith('|'); i++);
  i--;
}
writeFileSync(DOC, out.join('\n'));
