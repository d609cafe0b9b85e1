import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, SERVICES, type ServiceName } from '@neurocards/launcher';

/**
 * The metric catalogue (issue 12) and the names the alerts and dashboards query, for the
 * test that scrapes every service's `/metrics` (e2e/metrics.test.ts).
 */

export const MONITORING = path.join(REPO_ROOT, 'infra', 'k8s', 'monitoring');
/** The infra's copy of the catalogue when it exists, else this test's own. */
export const CATALOGUE = [path.join(MONITORING, 'metrics.md'), path.join(REPO_ROOT, 'test', 'e2e', 'metrics-catalogue.md')].find((f) =>
  existsSync(f),
)!;

export interface Entry {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  services: ServiceName[];
}

/** The services with a PostgreSQL schema, hence an outbox (bot-gateway has none). */
export const WITH_OUTBOX: ServiceName[] = ['billing', 'orchestrator', 'kie-dispatcher', 'notifier'];

/** The catalogue's table: `| metric | type | labels | service(s) | meaning |`. */
export function readCatalogue(file: string): Entry[] {
  const out: Entry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/`/g, ''));
    const name = cells[1] ?? '';
    if (!/^neurocards_\w+$/.test(name)) continue;
    const type = /histogram/.test(cells[2]!) ? 'histogram' : /counter/.test(cells[2]!) ? 'counter' : 'gauge';
    const where = cells[4] ?? '';
    const services = /every service with an outbox/.test(where)
      ? WITH_OUTBOX
      : /every service/.test(where)
        ? [...SERVICES]
        : SERVICES.filter((s) => new RegExp(`(^|[^-\\w])${s}($|[^-\\w])`).test(where));
    out.push({ name, type, services });
  }
  return out;
}

/**
 * Every `neurocards_*` name the alerts and dashboards query (histogram series as written):
 * from the PromQL of `expr:` fields in YAML (one line or a block), and of `expr`, `query` and
 * `definition` strings in JSON (Grafana targets and template variables). Rule group, alert
 * and dashboard names are not metrics and are left alone.
 */
export function monitoringNames(dir = MONITORING): string[] {
  if (!existsSync(dir)) return [];
  const exprs: string[] = [];
  const fromYaml = (text: string) => {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\s*)(?:- )?expr:\s*(.*)$/.exec(lines[i]!);
      if (!m) continue;
      if (!/^[|>][-+]?\s*$/.test(m[2]!)) {
        exprs.push(m[2]!);
        continue;
      }
      const indent = m[1]!.length;
      for (i++; i < lines.length && (lines[i]!.trim() === '' || /^\s*/.exec(lines[i]!)![0].length > indent); i++) exprs.push(lines[i]!);
      i--;
    }
  };
  const fromJson = (v: unknown, key = '') => {
    if (typeof v === 'string') {
      if (['expr', 'query', 'definition'].includes(key)) exprs.push(v);
    } else if (Array.isArray(v)) for (const x of v) fromJson(x, key);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) fromJson(x, k);
  };
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) fromYaml(readFileSync(p, 'utf8'));
      else if (/\.json$/.test(e.name)) fromJson(JSON.parse(readFileSync(p, 'utf8')));
    }
  };
  walk(dir);
  return [...new Set(exprs.flatMap((x) => [...x.matchAll(/neurocards_\w+/g)].map((m) => m[0])))].sort();
}

/** The metric families (`# TYPE` lines) of one exposition, by name. */
export const families = (text: string) =>
  new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!] as const));

/** A series name as PromQL writes it belongs to a family: `x_bucket`, `x_sum`, `x_count` to histogram `x`. */
export function familyOf(name: string, fams: Map<string, string>): string | undefined {
  if (fams.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return fams.get(base) === 'histogram' ? base : undefined;
}
