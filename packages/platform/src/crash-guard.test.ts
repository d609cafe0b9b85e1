import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDriverConnectionError } from './crash-guard';
import { eventually, privatePostgres, type PrivatePostgres } from './testing';

const FIXTURE = fileURLToPath(new URL('./crash-guard.fixture.ts', import.meta.url));

function child(...args: string[]) {
  const p = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { env: { ...process.env, LOG_LEVEL: 'error' } });
  const out: string[] = [];
  p.stdout.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter(Boolean)));
  p.stderr.on('data', (d: Buffer) => out.push(...d.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  return { p: p as ChildProcessWithoutNullStreams, out, exited };
}

describe('isDriverConnectionError', () => {
  const at = (err: Error, frame: string) => Object.assign(err, { stack: `${err.name}: ${err.message}\n    at ${frame}` });
  const driver = 'Socket.closed (file:///app/node_modules/.pnpm/postgres@3.4.9/node_modules/postgres/src/connection.js:453:57)';
  it('knows the driver broken-connection signatures and nothing else', () => {
    const nullWrite = () => new TypeError("Cannot read properties of null (reading 'write')");
    expect(isDriverConnectionError(at(nullWrite(), 'Immediate.nextWrite (/app/node_modules/postgres/cjs/src/connection.js:255:22)'))).toBe(true);
    expect(isDriverConnectionError(at(Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }), driver))).toBe(true);
    expect(isDriverConnectionError(at(Object.assign(new Error('terminating connection'), { code: '57P01' }), driver))).toBe(true);
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    Object.defineProperty(reset, 'query', { value: 'select b.oid, b.typarray', enumerable: false });
    expect(isDriverConnectionError(at(reset, 'TCP.onStreamRead (node:internal/stream_base_commons:218:20)'))).toBe(true);
    expect(isDriverConnectionError(at(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'TCP.onStreamRead (node:internal)'))).toBe(false);
    // Same message elsewhere, or another error in the driver: a bug, still fatal.
    expect(isDriverConnectionError(at(nullWrite(), 'Immediate.nextWrite (/app/src/mine.js:1:1)'))).toBe(false);
    expect(isDriverConnectionError(at(Object.assign(new Error('syntax'), { code: '42601' }), driver))).toBe(false);
    expect(isDriverConnectionError(at(new TypeError('x is not a function'), driver))).toBe(false);
  });
});

describe('a service process', () => {
  it('survives the driver null-socket write (porsager/postgres#1154)', async () => {
    const c = child('driver-null-write');
    expect(await c.exited).toBe(0);
    expect(c.out).toContain('ALIVE');
  });

  it('still exits 1 on any other uncaught exception', async () => {
    const c = child('other-error');
    expect(await c.exited).toBe(1);
    expect(c.out).not.toContain('ALIVE');
  });

  describe('through PostgreSQL crashes and killed connections during active queries', () => {
    let pg: PrivatePostgres;
    beforeAll(async () => {
      pg = await privatePostgres();
    });
    afterAll(async () => {
      await pg?.destroy();
    });

    it('lives on and queries again afterwards', async () => {
      const c = child('queries', pg.url);
      const okCount = () => Number(c.out.filter((l) => l.startsWith('OK ')).at(-1)?.slice(3) ?? 0);
      try {
        await eventually(() => okCount() > 0, 20_000);
        // Connections cut while they start up reject the driver's own start-up queries, which
        // nobody awaits: on an unguarded process, an unhandled rejection.
        const admin = postgres(pg.url, { max: 1, onnotice: () => undefined });
        const until = Date.now() + 4000;
        while (Date.now() < until) {
          await admin`select pg_terminate_backend(pid) from pg_stat_activity
                      where backend_type = 'client backend' and pid <> pg_backend_pid()`.catch(() => undefined);
        }
        await admin.end({ timeout: 1 });
        await pg.stop('immediate');
        await pg.start({ wait: false });
        const before = okCount();
        await eventually(() => okCount() > before, 30_000).catch((err: unknown) => {
          throw new Error(`no query after the restart; child said: ${c.out.filter((l) => !l.startsWith('OK ') && !l.includes('survived')).join(' / ')} exit=${c.p.exitCode}`, { cause: err });
        });
        c.p.stdin.write('stop\n');
        expect(await c.exited).toBe(0);
        expect(c.out).toContain('DONE');
      } finally {
        c.p.kill('SIGKILL');
      }
    }, 90_000);
  });
});
