/**
 * docs/design.md is the reference for names: this test holds it to the code in both
 * directions — subjects, request/reply subjects, streams, consumers, buckets, failure
 * classes, environment variables (with their services and defaults), ports and HTTP routes.
 * It needs neither NATS nor PostgreSQL: it reads the contracts, the config schemas and the
 * sources. Each assertion names what is missing on which side.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as contracts from '@neurocards/contracts';
import { findTable, parseTables, sections, stripTicks, ticked, type Table } from './markdown';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DOC_PATH = path.join(ROOT, 'docs/design.md');
const doc = readFileSync(DOC_PATH, 'utf8');
const tables = parseTables(doc);
const table = (firstHeader: string, secondHeader?: string): Table =>
  findTable(tables, firstHeader, secondHeader);

/** Both sides of a comparison: names only in the code, and names only in the doc. */
function diff(
  code: Iterable<string>,
  documented: Iterable<string>,
): { notInDoc: string[]; notInCode: string[] } {
  const c = new Set(code);
  const d = new Set(documented);
  return {
    notInDoc: [...c].filter((x) => !d.has(x)).sort(),
    notInCode: [...d].filter((x) => !c.has(x)).sort(),
  };
}

const column = (t: Table, name: string) => t.rows.map((r) => stripTicks(r[name] ?? ''));

// ---- the code side ------------------------------------------------------------------

type AnySchema = { safeParse(v: unknown): { success: boolean; data?: unknown } };
type ShapeHolder = {
  shape?: Record<string, AnySchema>;
  def?: { in?: ShapeHolder; innerType?: ShapeHolder; schema?: ShapeHolder };
};

/** The object shape behind a service's config schema (through refinements and pipes). */
function shapeOf(schema: ShapeHolder): Record<string, AnySchema> {
  if (schema.shape) return schema.shape;
  const inner = schema.def?.in ?? schema.def?.innerType ?? schema.def?.schema;
  if (inner) return shapeOf(inner);
  throw new Error('config schema is not a zod object');
}

/** The services: the directories of apps/ that have a config. */
const SERVICES = readdirSync(path.join(ROOT, 'apps'))
  .filter((d) => existsSync(path.join(ROOT, 'apps', d, 'src/config.ts')))
  .sort();

/** Each service's config schema shape: `SCHEMA` (or the older `schema`) of src/config.ts. */
const shapes: Record<string, Record<string, AnySchema>> = {};

function sourceFiles(dir: string, opts: { tests?: boolean } = {}): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'dist', '.turbo', 'public'].includes(entry.name) || entry.name.startsWith('.'))
      continue;
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p, opts));
    else if (/\.(ts|mjs|js)$/.test(entry.name) && (opts.tests || !/\.test\.ts$/.test(entry.name)))
      out.push(p);
  }
  return out;
}
const read = (f: string) => readFileSync(f, 'utf8');

/** Every YAML file of the Kubernetes manifests (infra/k8s, without its node_modules). */
function manifestFiles(dir = path.join(ROOT, 'infra/k8s')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : manifestFiles(p);
    return e.name.endsWith('.yaml') ? [p] : [];
  });
}


/** Variables read straight from the environment (`env.X`, `env['X']`) in these files. */
function envReads(files: string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const re = /\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g;
  for (const f of files) {
    for (const m of read(f).matchAll(re)) {
      const name = (m[1] ?? m[2])!;
      found.set(name, [...(found.get(name) ?? []), path.relative(ROOT, f)]);
    }
  }
  return found;
}

const platformFiles = sourceFiles(path.join(ROOT, 'packages/platform/src')).concat(
  sourceFiles(path.join(ROOT, 'packages/launcher/src')),
);
/** Variables the shared runtime reads for every service outside the schemas. */
const platformReads = envReads(platformFiles);

/** The default HTTP port of a service: its schema's `HTTP_PORT` default, else the contracts' table. */
function defaultPort(service: string): number | undefined {
  const field = shapes[service]?.HTTP_PORT;
  if (field) {
    const r = field.safeParse(undefined);
    if (r.success && typeof r.data === 'number') return r.data;
  }
  return (contracts.DEFAULT_PORTS as Record<string, number>)[service];
}

/** `METHOD path` of every route a service's own code registers. */
function codeRoutes(files: string[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const text = read(f);
    const consts = new Map(
      [...text.matchAll(/const\s+([A-Z_]+)\s*=\s*['"`](\/[^'"`]*)['"`]/g)].map((m) => [m[1]!, m[2]!]),
    );
    const re = /\.(get|post|put|patch|delete)\s*(?:<[^()]*?>)?\(\s*(?:(['"`])(\/[^'"`]*)\2|([A-Z_]+)\s*,)/g;
    for (const m of text.matchAll(re)) {
      const p = m[3] ?? consts.get(m[4] ?? '');
      if (p) out.push(`${m[1]!.toUpperCase()} ${p}`);
    }
  }
  return out;
}

beforeAll(async () => {
  for (const s of SERVICES) {
    const mod = (await import(path.join(ROOT, 'apps', s, 'src/config.ts'))) as Record<string, unknown>;
    const schema = (mod.SCHEMA ?? mod.schema) as ShapeHolder | undefined;
    if (!schema) throw new Error(`apps/${s}/src/config.ts exports no SCHEMA`);
    shapes[s] = shapeOf(schema);
  }
});

// ---- subjects -------------------------------------------------------------------------

const DOMAINS = ['orders', 'billing', 'jobs', 'kie', 'notify', 'orchestrator'];
const SECTION_7 = /^## 7\./;

/** Subject-like tokens in the doc outside §7 (history may name what is gone). */
function subjectTokens(): string[] {
  const text = sections(doc)
    .filter((s) => !SECTION_7.test(s.heading))
    .map((s) => s.body)
    .join('\n');
  const re = new RegExp(`(?<![\\w.-])(?:${DOMAINS.join('|')})(?:\\.[A-Za-z0-9_*>]+)+`, 'g');
  return [...new Set([...text.matchAll(re)].map((m) => m[0].replace(/\.+$/, '')))].filter((t) => {
    const parts = t.split('.');
    return parts.length >= 3 || /[*>]/.test(t);
  });
}

/** NATS subject matching with `*` (one token) and `>` (the rest). */
function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false;
  }
  return f.length === s.length;
}

describe('docs/design.md: subjects', () => {
  it('lists every catalog subject in the events table, and nothing else', () => {
    const { notInDoc, notInCode } = diff(contracts.subjects, column(table('subject', 'producer'), 'subject'));
    expect.soft(notInDoc, 'catalog subjects missing from the §2.2 events table').toEqual([]);
    expect.soft(notInCode, '§2.2 events table rows that are not in the catalog').toEqual([]);
  });

  it('lists every request/reply subject, and nothing else', () => {
    const { notInDoc, notInCode } = diff(
      Object.keys(contracts.rpc),
      column(table('subject', 'served by'), 'subject'),
    );
    expect.soft(notInDoc, 'rpc subjects missing from the §2.3 request/reply table').toEqual([]);
    expect.soft(notInCode, '§2.3 request/reply rows that are not in contracts rpc').toEqual([]);
  });

  it('names only subjects that exist (wildcards must match one)', () => {
    const known = [...contracts.subjects, ...Object.keys(contracts.rpc)];
    const unknown = subjectTokens().filter(
      (t) => !known.some((s) => (/[*>]/.test(t) ? matches(t, s) : s === t)),
    );
    expect
      .soft(unknown, 'subject-like names in docs/design.md (outside §7) that match no catalog or rpc subject')
      .toEqual([]);
  });
});

// ---- streams, consumers, buckets ---------------------------------------------------------

describe('docs/design.md: topology', () => {
  it('lists every stream with its subject filters', () => {
    const t = table('stream', 'subjects');
    const { notInDoc, notInCode } = diff(Object.keys(contracts.streams), column(t, 'stream'));
    expect.soft(notInDoc, 'streams missing from the §2.4 table').toEqual([]);
    expect.soft(notInCode, '§2.4 streams that do not exist').toEqual([]);
    const wrong = t.rows
      .map((r) => ({ stream: stripTicks(r.stream!), doc: ticked(r.subjects!) }))
      .filter((r) => r.stream in contracts.streams)
      .map((r) => ({ ...r, code: [...contracts.streams[r.stream as contracts.StreamName].subjects] }))
      .filter((r) => JSON.stringify(r.doc) !== JSON.stringify(r.code));
    expect.soft(wrong, 'streams whose subjects differ (doc vs code)').toEqual([]);
  });

  it('lists every durable consumer with its service, subject, max deliver and ack wait', () => {
    const code = Object.entries(contracts.consumers).flatMap(([service, defs]) =>
      defs.map((d) => ({
        durable: d.durable,
        service,
        subject: d.subject,
        maxDeliver: d.maxDeliver,
        ackWait: d.ackWaitSeconds,
      })),
    );
    const t = table('durable', 'service');
    const { notInDoc, notInCode } = diff(
      code.map((c) => c.durable),
      column(t, 'durable'),
    );
    expect.soft(notInDoc, 'consumers missing from the §2.5 table').toEqual([]);
    expect.soft(notInCode, '§2.5 consumers that do not exist').toEqual([]);
    const docRows = new Map(t.rows.map((r) => [stripTicks(r.durable!), r]));
    const wrong = code.flatMap((c) => {
      const r = docRows.get(c.durable);
      if (!r) return [];
      const inDoc = {
        service: stripTicks(r.service!),
        subject: stripTicks(r.subject!),
        maxDeliver: Number(r['max deliver']),
        ackWait: Number(r['ack wait (s)']),
      };
      const inCode = { service: c.service, subject: c.subject, maxDeliver: c.maxDeliver, ackWait: c.ackWait };
      return JSON.stringify(inDoc) === JSON.stringify(inCode)
        ? []
        : [{ durable: c.durable, doc: inDoc, code: inCode }];
    });
    expect.soft(wrong, 'consumers whose row differs from the topology').toEqual([]);
  });

  it('lists every bucket with its kind and TTL', () => {
    const t = table('bucket', 'kind');
    const { notInDoc, notInCode } = diff(Object.keys(contracts.buckets), column(t, 'bucket'));
    expect.soft(notInDoc, 'buckets missing from the §2.6 table').toEqual([]);
    expect.soft(notInCode, '§2.6 buckets that do not exist').toEqual([]);
    const ttl = (cell: string) => {
      const m = /^(\d+)\s*([dhm])$/.exec(cell.trim());
      if (!m) return 0;
      return Number(m[1]) * { d: 86_400, h: 3_600, m: 60 }[m[2] as 'd' | 'h' | 'm'];
    };
    const wrong = t.rows
      .map((r) => ({ bucket: stripTicks(r.bucket!), kind: r.kind!.trim(), ttlSeconds: ttl(r.TTL!) }))
      .filter((r) => r.bucket in contracts.buckets)
      .filter((r) => {
        const b = contracts.buckets[r.bucket as contracts.BucketName];
        return b.kind !== r.kind || b.ttlSeconds !== r.ttlSeconds;
      });
    expect.soft(wrong, 'buckets whose kind or TTL differs from the code').toEqual([]);
  });

  it('lists exactly the failure classes of the contracts in the §1 table', () => {
    const code = new Set([...contracts.failureClass.options, ...contracts.kieErrorClass.options]);
    const { notInDoc, notInCode } = diff(code, column(table('class', 'examples'), 'class'));
    expect.soft(notInDoc, 'failure/error classes missing from the §1 table').toEqual([]);
    expect.soft(notInCode, '§1 classes that are in neither failureClass nor kieErrorClass').toEqual([]);
  });
});

// ---- configuration ------------------------------------------------------------------------

const EMPTY = (v: unknown) => v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

describe('docs/design.md: configuration (§3)', () => {
  const vars = () => table('variable', 'services');

  it('has every variable a config schema reads, and only those', () => {
    const code = new Set(SERVICES.flatMap((s) => Object.keys(shapes[s]!)));
    const documented = column(vars(), 'variable');
    const { notInDoc } = diff(code, documented);
    const notInCode = documented.filter((v) => !code.has(v) && !platformReads.has(v)).sort();
    expect.soft(notInDoc, 'variables read by a config schema but missing from the §3 table').toEqual([]);
    expect.soft(notInCode, '§3 variables that no config schema (nor platform/launcher) reads').toEqual([]);
  });

  it('names, for every variable, exactly the services that read it', () => {
    const wrong = vars().rows.flatMap((r) => {
      const v = stripTicks(r.variable!);
      const cell = r.services!.trim();
      const documented = cell === 'all' ? [...SERVICES] : cell.split(',').map((s) => s.trim());
      let code = SERVICES.filter((s) => v in shapes[s]!);
      if (code.length === 0 && platformReads.has(v)) code = [...SERVICES];
      if (code.length === 0) return []; // reported by the test above
      const { notInDoc, notInCode } = diff(code, documented);
      return notInDoc.length || notInCode.length
        ? [{ variable: v, readByButNotListed: notInDoc, listedButNotReading: notInCode }]
        : [];
    });
    expect.soft(wrong, '§3 "services" cells that differ from the schemas').toEqual([]);
  });

  it('states the defaults the schemas apply', () => {
    const wrong = vars().rows.flatMap((r) => {
      const v = stripTicks(r.variable!);
      const cell = r.default!.trim();
      const literal = /^`([^`]*)`$/.exec(cell)?.[1];
      if (literal === undefined && cell !== '—') return []; // prose: computed or described
      return SERVICES.filter((s) => v in shapes[s]!).flatMap((s) => {
        const field = shapes[s]![v]!;
        const actual = field.safeParse(undefined);
        if (cell === '—') {
          return !actual.success || EMPTY(actual.data)
            ? []
            : [{ variable: v, service: s, doc: '—', code: actual.data }];
        }
        const documented = field.safeParse(literal);
        const same =
          actual.success &&
          documented.success &&
          JSON.stringify(actual.data) === JSON.stringify(documented.data);
        return same
          ? []
          : [{ variable: v, service: s, doc: literal, code: actual.success ? actual.data : '(no default)' }];
      });
    });
    expect.soft(wrong, '§3 defaults that differ from the schemas').toEqual([]);
  });

  it('reads one port variable, HTTP_PORT, with the documented defaults', () => {
    const cell = vars().rows.find((r) => stripTicks(r.variable!) === 'HTTP_PORT')?.default ?? '';
    const documented = Object.fromEntries(
      [...cell.matchAll(/([a-z][a-z-]+)\s+(\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
    );
    const code = Object.fromEntries(SERVICES.map((s) => [s, defaultPort(s)]));
    expect.soft(documented, 'HTTP_PORT defaults in §3 vs the code').toEqual(code);
    // One name per setting: no per-service port variables built anywhere.
    const files = [
      ...platformFiles,
      ...sourceFiles(path.join(ROOT, 'sandbox/src')),
      ...sourceFiles(path.join(ROOT, 'test/src')),
    ];
    const perService = files
      .filter((f) => /[A-Z}]_HTTP_PORT|_HTTP_PORT`/.test(read(f)))
      .map((f) => path.relative(ROOT, f));
    expect.soft(perService, 'files that still build <SERVICE>_HTTP_PORT variables').toEqual([]);
  });

  it('lists the variables tooling reads, with their defaults', () => {
    const files = [
      ...['apps', 'packages', 'sandbox', 'test', 'scripts'].flatMap((d) =>
        sourceFiles(path.join(ROOT, d), { tests: true }),
      ),
    ].filter((f) => f !== fileURLToPath(import.meta.url));
    const reads = envReads(files);
    const tooling = table('variable', 'read by');
    const known = new Set([...column(vars(), 'variable'), ...column(tooling, 'variable'), 'PATH']);
    const undocumented = [...reads.keys()]
      .filter((v) => !known.has(v))
      .map((v) => `${v} (${reads.get(v)!.join(', ')})`);
    expect.soft(undocumented, 'variables read from the environment but in no §3 table').toEqual([]);
    const unread = column(tooling, 'variable').filter((v) => !reads.has(v));
    expect.soft(unread, '§3 tooling variables nothing reads').toEqual([]);
    const wrongDefault = tooling.rows.flatMap((r) => {
      const v = stripTicks(r.variable!);
      const literal = /^`([^`]*)`$/.exec(r.default!.trim())?.[1];
      if (literal === undefined || !reads.has(v)) return [];
      const pattern = literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/(\d)(?=\d)/g, '$1_?');
      const re = new RegExp(`${v}\\s*\\?\\?\\s*['"]?${pattern}['"]?\\b`);
      return reads.get(v)!.some((f) => re.test(read(path.join(ROOT, f))))
        ? []
        : [`${v}: doc says ${literal}`];
    });
    expect.soft(wrongDefault, 'tooling defaults not found in the code that reads them').toEqual([]);
  });

  it('uses only §3 variables in the Kubernetes manifests', () => {
    const known = new Set(column(vars(), 'variable'));
    const used = new Set<string>();
    for (const f of manifestFiles()) {
      const text = read(f);
      // Variables that only build another one through Kubernetes' $(VAR) expansion
      // (DATABASE_URL from the role's Secret) are not read by any service.
      const helpers = new Set([...text.matchAll(/\$\(([A-Z][A-Z0-9_]+)\)/g)].map((m) => m[1]!));
      for (const m of text.matchAll(/name:\s*([A-Z][A-Z0-9_]+)\b/g)) if (!helpers.has(m[1]!)) used.add(m[1]!);
      if (path.basename(f) === 'config.yaml')
        for (const m of text.matchAll(/^ {2}([A-Z][A-Z0-9_]+):/gm)) used.add(m[1]!);
    }
    expect
      .soft([...used].filter((v) => !known.has(v)).sort(), 'infra/k8s variables missing from §3')
      .toEqual([]);
  });

  it('names only §3 variables outside §7', () => {
    const known = new Set([
      ...column(vars(), 'variable'),
      ...column(table('variable', 'read by'), 'variable'),
    ]);
    const text = sections(doc)
      .filter((s) => !SECTION_7.test(s.heading))
      .map((s) => s.body)
      .join('\n');
    const names = [...text.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=[^`]*)?`/g)].map((m) => m[1]!);
    expect
      .soft(
        [...new Set(names)].filter((n) => !known.has(n)),
        'variable-like names outside the §3 tables',
      )
      .toEqual([]);
  });
});

// ---- HTTP -------------------------------------------------------------------------------

describe('docs/design.md: HTTP (§2.8)', () => {
  const http = () => table('service', 'port');

  it('has one row per service with its default port', () => {
    const t = http();
    const { notInDoc, notInCode } = diff(SERVICES, column(t, 'service'));
    expect.soft(notInDoc, 'services missing from the §2.8 table').toEqual([]);
    expect.soft(notInCode, '§2.8 rows that are not services').toEqual([]);
    const documented = Object.fromEntries(t.rows.map((r) => [stripTicks(r.service!), Number(r.port)]));
    expect
      .soft(documented, '§2.8 ports vs the code')
      .toEqual(Object.fromEntries(SERVICES.map((s) => [s, defaultPort(s)])));
  });

  it('lists exactly the routes each service registers', () => {
    const common = codeRoutes(sourceFiles(path.join(ROOT, 'packages/platform/src')));
    const wrong = http().rows.flatMap((r) => {
      const s = stripTicks(r.service!);
      if (!SERVICES.includes(s)) return [];
      const code = [...common, ...codeRoutes(sourceFiles(path.join(ROOT, 'apps', s, 'src')))];
      const { notInDoc, notInCode } = diff(code, ticked(r.routes!));
      return notInDoc.length || notInCode.length
        ? [{ service: s, registeredButNotListed: notInDoc, listedButNotRegistered: notInCode }]
        : [];
    });
    expect.soft(wrong, '§2.8 routes vs the routes the code registers').toEqual([]);
  });

  it('matches the ports of the Kubernetes manifests', () => {
    const wrong = http().rows.flatMap((r) => {
      const s = stripTicks(r.service!);
      const f = path.join(ROOT, 'infra/k8s/base', s, `${s}.yaml`);
      if (!existsSync(f)) return [`${s}: no infra/k8s/base/${s}/${s}.yaml`];
      const ports = [...read(f).matchAll(/(?:containerPort:\s*|name: HTTP_PORT\s+value: ")(\d+)/g)].map((m) =>
        Number(m[1]),
      );
      return ports.length > 0 && ports.every((p) => p === Number(r.port))
        ? []
        : [`${s}: doc ${r.port}, manifest ${ports.join(', ')}`];
    });
    expect.soft(wrong, 'ports in infra/k8s vs §2.8').toEqual([]);
  });
});

describe('docs/design.md: paths', () => {
  it('names only repository paths that exist', () => {
    const roots = ['apps/', 'packages/', 'test/', 'infra/', 'sandbox/', 'scripts/', 'docs/'];
    // Folders that runs create (git-ignored: logs, builds) need not exist in a fresh clone.
    const generated = ['test/.logs', 'test/.nats', '.sandbox'];
    const named = [...doc.matchAll(/`([^`\s]+)`/g)]
      .map((m) => m[1]!)
      .filter((p) => roots.some((r) => p.startsWith(r)) && !/[<>{}*]/.test(p))
      .filter((p) => !generated.some((g) => p === g || p.startsWith(`${g}/`)));
    expect
      .soft(
        named.filter((p) => !existsSync(path.join(ROOT, p))),
        'paths in docs/design.md that do not exist',
      )
      .toEqual([]);
  });
});
