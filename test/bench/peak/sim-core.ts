/** Small pieces the peak benchmark's simulation and reports share: a seeded PRNG, an event heap, statistics. */
import { mulberry32 } from '../../chaos/rng';

/** mulberry32 (the chaos suite's), so every run of the evening sees the same arrivals. */
export const rng = (seed: number): (() => number) => mulberry32(seed);

export const uniform = (r: () => number, lo: number, hi: number) => lo + r() * (hi - lo);

interface Entry<T> {
  at: number;
  seq: number;
  item: T;
}

/** A min-heap of timed events; ties keep insertion order, so the simulation is deterministic. */
export class EventQueue<T> {
  private readonly h: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.h.length;
  }

  push(at: number, item: T): void {
    const h = this.h;
    h.push({ at, seq: this.seq++, item });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  pop(): { at: number; item: T } | undefined {
    const h = this.h;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return { at: top.at, item: top.item };
  }
}

const less = <T>(a: Entry<T>, b: Entry<T>) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Nearest-rank percentile of `xs` (p in 0..1); NaN for none. */
export function pct(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * p) - 1))]!;
}

export const median = (xs: readonly number[]) => pct(xs, 0.5);

/** Jain's fairness index: (Σx)² / (n·Σx²); 1 when every x is equal, 1/n when one takes all. */
export function jain(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  let s2 = 0;
  for (const x of xs) {
    s += x;
    s2 += x * x;
  }
  return s2 === 0 ? 1 : (s * s) / (xs.length * s2);
}

export const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
