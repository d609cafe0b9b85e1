/**
 * RUNBOOK.md names real things: every stream, consumer, service, bucket and variable it
 * writes in backticks or in a command exists in the contracts and the code, so the runbook
 * cannot drift from them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buckets, consumers, SERVICES, streamOf, streams } from '@neurocards/contracts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runbook = readFileSync(path.join(ROOT, 'RUNBOOK.md'), 'utf8');
const design = readFileSync(path.join(ROOT, 'docs/design.md'), 'utf8');

const STREAMS = new Set(Object.keys(streams));
const SERVICE_NAMES = new Set<string>(SERVICES);
const BUCKETS = new Set(Object.keys(buckets));
/** durable → its stream. */
const DURABLES = new Map(
  Object.values(consumers)
    .flat()
    .map((d) => [d.durable as string, streamOf(d.subject)]),
);

const fences = [...runbook.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
const prose = runbook.replace(/^```[a-z]*\n[\s\S]*?^```/gm, '');
const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
/** Everything written as code: inline spans and fenced blocks. */
const code = [...spans, ...fences].join('\n');
/** Placeholders (`<STREAM>`), shell variables and optional arguments are not names. */
const isName = (s: string | undefined): s is string => !!s && !/^[<$[]/.test(s);

function allFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}
const manifests = allFiles(path.join(ROOT, 'infra/k8s'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => readFileSync(f, 'utf8'))
  .join('\n');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sourceFiles(p);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [p] : [];
  });
}

describe('RUNBOOK.md', () => {
  it('names only streams, consumers and services of the contracts', () => {
    const wrong: string[] = [];
    let checked = 0;
    const expectIn = (set: { has(v: string): boolean }, what: string, v: string) => {
      checked++;
      if (!set.has(v)) wrong.push(`${what} ${v}`);
    };
    for (const s of spans) {
      // `ORDERS`, `DEAD`: a stream. `kie-dispatcher`, `notifier-video-ready`: a service or a consumer.
      if (/^[A-Z]+$/.test(s)) expectIn(STREAMS, 'stream', s);
      // A Kubernetes object of the manifests (the Secret `neurocards-secrets`) is checked there.
      if (/^[a-z]+(?:-[a-z]+)+$/.test(s))
        expectIn({ has: (v) => SERVICE_NAMES.has(v) || DURABLES.has(v) || manifests.includes(v) }, 'service, consumer or manifest object', s);
    }
    for (const m of code.matchAll(/nats stream (?:info|view|subjects|report|get) (\S+)/g))
      if (isName(m[1])) expectIn(STREAMS, 'stream', m[1]);
    for (const m of code.matchAll(/nats consumer (?:info|report|ls|next) (\S+)(?: +(\S+))?/g)) {
      if (!isName(m[1])) continue;
      expectIn(STREAMS, 'stream', m[1]);
      if (isName(m[2]) && !m[2].startsWith('#')) {
        checked++;
        if (DURABLES.get(m[2]) !== m[1]) wrong.push(`consumer ${m[1]} ${m[2]} (not a consumer of that stream)`);
      }
    }
    for (const m of code.matchAll(/deployment\/([a-z-]+)/g)) expectIn(SERVICE_NAMES, 'service', m[1]!);
    for (const m of code.matchAll(/pnpm ops dead (?:list|replay-all) (\S+)/g))
      if (isName(m[1])) expectIn(DURABLES, 'consumer', m[1]);
    for (const m of code.matchAll(/nats kv (?:status|ls|get|history) (\S+)/g)) if (isName(m[1])) expectIn(BUCKETS, 'bucket', m[1]);
    expect(wrong).toEqual([]);
    // The checks above saw the runbook's names (a broken pattern would pass vacuously).
    expect(checked).toBeGreaterThan(40);
  });

  it('names buckets of the contracts and variables the code reads', () => {
    const files = [...sourceFiles(path.join(ROOT, 'apps')), ...sourceFiles(path.join(ROOT, 'packages'))];
    const sources = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const wrong: string[] = [];
    for (const s of spans) {
      // KIE_API_KEYS, BOT_TOKEN…: documented in design §3, or (a constant) in the code.
      if (/^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(s) && !design.includes(`| \`${s}\` |`) && !sources.includes(s))
        wrong.push(`variable ${s}`);
    }
    for (const m of prose.matchAll(/KV bucket `([a-z_]+)`/g)) if (!BUCKETS.has(m[1]!)) wrong.push(`bucket ${m[1]}`);
    // Every file the runbook cites exists.
    for (const m of prose.matchAll(/`((?:apps|packages|sandbox|test|infra)\/[^`\s]+)`/g))
      if (!existsSync(path.join(ROOT, m[1]!))) wrong.push(`path ${m[1]}`);
    expect(wrong).toEqual([]);
  });

  it('is linked from the README', () => {
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain('](RUNBOOK.md)');
  });
});
