import { describe, expect, it } from 'vitest';
import { createInFlight } from './in-flight';

describe('in-flight tracker', () => {
  it('is idle at once when nothing runs', async () => {
    await createInFlight().idle(10_000);
  });

  it('waits for running work to finish', async () => {
    const f = createInFlight();
    let release!: () => void;
    const work = f.track(() => new Promise<void>((r) => (release = r)));
    expect(f.count).toBe(1);
    let idle = false;
    const waiting = f.idle(10_000).then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    release();
    await work;
    await waiting;
    expect(idle).toBe(true);
    expect(f.count).toBe(0);
  });

  it('counts failed work as finished', async () => {
    const f = createInFlight();
    await expect(f.track(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(f.count).toBe(0);
  });
});
