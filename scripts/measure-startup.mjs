#!/usr/bin/env node
/**
 * Start-up time of a service: from spawning its process to the first `/readyz` 200.
 * Each variant (a working directory and a command) runs `--runs` times (default 5),
 * round-robin, so a busy machine slows every variant alike; prints every run and each
 * variant's median. Every run ends the service with SIGTERM and waits for its exit.
 *
 *   HTTP_PORT=18181 DATABASE_URL=... NATS_URL=... node scripts/measure-startup.mjs --runs 5 \
 *     -- apps/billing node --import tsx src/main.ts \
 *     -- /tmp/out/billing node dist/main.js
 *
 * The service reads its configuration from this process' environment; `HTTP_PORT` is
 * also where `/readyz` is polled (every 10 ms, so that is the resolution).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const argv = process.argv.slice(2);
const groups = [];
for (const a of argv) {
  if (a === '--') groups.push([]);
  else if (groups.length > 0) groups.at(-1).push(a);
}
const variants = groups
  .filter((g) => g.length >= 2)
  .map(([dir, ...command]) => ({ cwd: path.resolve(dir), command }));
if (variants.length === 0) {
  process.stderr.write(
    'usage: measure-startup.mjs [--runs N] -- <dir> <command...> [-- <dir> <command...>]\n',
  );
  process.exit(2);
}
const runsAt = argv.indexOf('--runs');
const runs = runsAt >= 0 && runsAt < argv.indexOf('--') ? Number(argv[runsAt + 1]) : 5;
const port = process.env.HTTP_PORT;
if (!port) {
  process.stderr.write(
    'measure-startup: set HTTP_PORT (the service listens there and /readyz is polled there)\n',
  );
  process.exit(2);
}
const TIMEOUT_MS = 60_000;

async function ready() {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return res.status === 200;
  } catch {
    return false;
  }
}

async function once({ cwd, command }) {
  if (await ready()) throw new Error(`something already answers on port ${port}`);
  const started = process.hrtime.bigint();
  const child = spawn(command[0], command.slice(1), {
    cwd,
    env: process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  try {
    for (;;) {
      if (exitedEarly) throw new Error(`the service exited before it was ready:\n${stderr}`);
      if (await ready()) return Number(process.hrtime.bigint() - started) / 1e6;
      if (Number(process.hrtime.bigint() - started) / 1e6 > TIMEOUT_MS)
        throw new Error('not ready within 60 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const label = (v) => {
  const rel = path.relative(process.cwd(), v.cwd);
  return `${rel.startsWith('..') ? v.cwd : rel || '.'}: ${v.command.join(' ')}`;
};
const times = variants.map(() => []);
for (let i = 0; i < runs; i++) {
  for (const [k, v] of variants.entries()) {
    const ms = await once(v);
    times[k].push(ms);
    process.stdout.write(`run ${i + 1} ${label(v)}: ${ms.toFixed(0)} ms\n`);
  }
}
for (const [k, v] of variants.entries()) {
  const sorted = [...times[k]].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  process.stdout.write(`median of ${runs}: ${median.toFixed(0)} ms  (${label(v)})\n`);
}
