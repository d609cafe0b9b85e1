/**
 * A child process for crash-guard.test.ts: a service entry point (`runMain`) that meets
 * the situation named in argv and reports on stdout whether it lived on.
 */
import { connectPostgres } from './postgres';
import { runMain } from './main';
import { createLogger } from './logger';

const [mode, url] = process.argv.slice(2);

runMain('fixture', async () => {
  if (mode === 'driver-null-write' || mode === 'other-error') {
    setImmediate(function nextWrite() {
      if (mode === 'other-error') throw new Error('a bug of ours');
      // The upstream bug as it reaches the process (porsager/postgres#1154): thrown from
      // the driver's setImmediate, outside any query, stack in its connection.js.
      const err = new TypeError("Cannot read properties of null (reading 'write')");
      err.stack = `${err.name}: ${err.message}\n    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:485:21)`;
      throw err;
    });
    setTimeout(() => {
      process.stdout.write('ALIVE\n');
      process.exit(0);
    }, 300);
    return;
  }
  // 'queries': keeps a pool busy until told to stop on stdin; prints each success count.
  const sql = connectPostgres({ url: url!, schema: 'public', log: createLogger('fixture', 'silent'), max: 10 });
  let ok = 0;
  let stopping = false;
  const worker = async () => {
    while (!stopping) {
      try {
        await sql`select 1`;
        ok++;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const workers = Array.from({ length: 20 }, worker);
  const report = setInterval(() => process.stdout.write(`OK ${ok}\n`), 100);
  process.stdin.on('data', () => {
    stopping = true;
    clearInterval(report);
    void Promise.all(workers).then(async () => {
      await sql.end({ timeout: 1 });
      process.stdout.write('DONE\n');
      process.exit(0);
    });
  });
});
