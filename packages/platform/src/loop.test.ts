import { describe, expect, it } from 'vitest';
import { startLoop } from './loop';
import { eventually, silentLogger } from './testing';

// An interval no test waits out: progress comes from "more work" and wake() only.
const FOREVER = 3_600_000;
const loopOf = (tick: () => Promise<boolean>) => startLoop({ name: 't', intervalMs: FOREVER, log: silentLogger(), tick });

describe('startLoop', () => {
  it('ticks at once, again while there is more work, then sleeps until woken', async () => {
    let ticks = 0;
    const loop = loopOf(async () => ++ticks < 3);
    await eventually(() => ticks === 3);
    loop.wake();
    await eventually(() => ticks === 4);
    await loop.stop();
    expect(ticks).toBe(4);
  });

  it('keeps a wake() that arrives during a tick', async () => {
    let ticks = 0;
    let release!: () => void;
    const loop = loopOf(async () => {
      ticks++;
      if (ticks === 1) await new Promise<void>((r) => (release = r));
      return false;
    });
    await eventually(() => release);
    loop.wake();
    release();
    await eventually(() => ticks === 2);
    await loop.stop();
  });

  it('survives a failing tick and stops after the tick in hand', async () => {
    let ticks = 0;
    let finished = false;
    const loop = loopOf(async () => {
      ticks++;
      if (ticks === 1) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 20));
      finished = true;
      return true;
    });
    await eventually(() => ticks === 1);
    loop.wake();
    await eventually(() => ticks >= 2);
    await loop.stop();
    expect(finished).toBe(true);
    const after = ticks;
    loop.wake();
    await new Promise((r) => setImmediate(r));
    expect(ticks).toBe(after);
  });
});
