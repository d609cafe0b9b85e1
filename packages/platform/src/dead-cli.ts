/**
 * Operators' tool for parked messages:
 *   pnpm dead list [consumer]      what is parked, and why
 *   pnpm dead replay <seq>...      publish again on the original subject, remove from DEAD
 *   pnpm dead replay-all [consumer]
 * NATS_URL selects the server; NATS_USER / NATS_PASSWORD log in (the admin user of the
 * generated configuration: parking and replaying cross every service's subjects).
 */
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { listParked, replayParked } from './dead';

const [cmd = 'list', ...args] = process.argv.slice(2);
const out = (s: string) => process.stdout.write(`${s}\n`);
const nc = await connect({
  servers: (process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(','),
  ...(process.env.NATS_USER ? { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD ?? '' } : {}),
});
try {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  if (cmd === 'list') {
    const parked = await listParked(jsm, args[0]);
    for (const p of parked) out(`${p.seq}\t${p.parkedAt.toISOString()}\t${p.consumer}\t${p.originalSubject}\t${p.reason}`);
    out(`${parked.length} parked`);
  } else if (cmd === 'replay') {
    for (const seq of args.map(Number)) out(`${seq} → ${await replayParked(js, jsm, seq)}`);
  } else if (cmd === 'replay-all') {
    for (const p of await listParked(jsm, args[0])) out(`${p.seq} → ${await replayParked(js, jsm, p.seq)}`);
  } else {
    out('usage: pnpm dead list [consumer] | replay <seq>... | replay-all [consumer]');
    process.exitCode = 2;
  }
} finally {
  await nc.drain();
}
