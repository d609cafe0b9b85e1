import { describe, expect, it } from 'vitest';
import { fairOrder, type Waiting } from './fair-queue';

/** `A1.2@5`: seller A, order A1, video 2, queued at 5. */
function w(spec: string): Waiting {
  const m = /^([A-Z])(\d+)\.(\d+)@(\d+)$/.exec(spec);
  if (!m) throw new Error(`bad spec ${spec}`);
  const [, seller, order, index, at] = m as unknown as [string, string, string, string, string];
  return { id: spec, seller, order: `${seller}${order}`, index: Number(index), queuedAt: Number(at) };
}

const ids = (list: readonly Waiting[]): string[] => list.map((x) => x.id);

/** Orders of `n` videos for one seller, all queued at `at`. */
function orders(seller: string, count: number, n: number, at: number): Waiting[] {
  const out: Waiting[] = [];
  for (let o = 1; o <= count; o++) for (let i = 1; i <= n; i++) out.push(w(`${seller}${o}.${i}@${at + o}`));
  return out;
}

describe('fairOrder', () => {
  it.each([
    ['empty queue', [], []],
    ['one video', ['A1.1@0'], ['A1.1@0']],
    ['one order, oldest first', ['A1.3@0', 'A1.1@0', 'A1.2@0'], ['A1.1@0', 'A1.2@0', 'A1.3@0']],
    [
      'first videos before anyone’s second',
      ['A1.1@0', 'A1.2@0', 'A1.3@0', 'B1.1@9'],
      ['A1.1@0', 'B1.1@9', 'A1.2@0', 'A1.3@0'],
    ],
    [
      'round-robin by seller within a tier, older seller first',
      ['A1.2@0', 'A1.3@0', 'A1.4@0', 'B1.2@5', 'B1.3@5'],
      ['A1.2@0', 'B1.2@5', 'A1.3@0', 'B1.3@5', 'A1.4@0'],
    ],
    [
      'a seller’s orders: first videos in turn with other sellers',
      ['A1.1@0', 'A2.1@1', 'A3.1@2', 'B1.1@3', 'C1.1@4'],
      ['A1.1@0', 'B1.1@3', 'C1.1@4', 'A2.1@1', 'A3.1@2'],
    ],
    [
      'oldest order first within a seller across orders',
      ['A2.2@7', 'A1.2@3', 'A1.3@3'],
      ['A1.2@3', 'A1.3@3', 'A2.2@7'],
    ],
    [
      'ties on time resolve by seller id',
      ['B1.1@0', 'A1.1@0', 'B1.2@0', 'A1.2@0'],
      ['A1.1@0', 'B1.1@0', 'A1.2@0', 'B1.2@0'],
    ],
  ])('%s', (_name, input, expected) => {
    expect(ids(fairOrder(input.map(w)))).toEqual(expected);
  });

  it('serves the seller served longest ago first within a round', () => {
    const queue = ['A1.2@0', 'A1.3@0', 'B1.2@5', 'B1.3@5'].map(w);
    // A took a turn more recently than B: B goes first in every round.
    const served = new Map([['A', 20], ['B', 10]]);
    expect(ids(fairOrder(queue, served))).toEqual(['B1.2@5', 'A1.2@0', 'B1.3@5', 'A1.3@0']);
    // Never served counts as longest ago.
    expect(ids(fairOrder(queue, new Map([['A', 1]])))).toEqual(['B1.2@5', 'A1.2@0', 'B1.3@5', 'A1.3@0']);
  });

  it('a seller with 10 orders of 5 delays another seller’s first video by at most one turn', () => {
    const heavy = orders('A', 10, 5, 0);
    const late = w('B1.1@100');
    const order = fairOrder([...heavy, late]);
    expect(order.indexOf(late)).toBeLessThanOrEqual(1);
    // ...and the same while the heavy seller is mid-way: recompute after each claim.
    let queue = [...heavy];
    const served = new Map<string, number>();
    for (let turn = 0; turn < 20; turn++) {
      const next = fairOrder(queue, served)[0] as Waiting;
      served.set(next.seller, turn);
      queue = queue.filter((x) => x !== next);
    }
    const b = [w('B1.1@200'), w('B1.2@200'), w('B1.3@200')];
    queue.push(...b);
    // Simulate claims one at a time; B's videos each wait at most one of A's turns.
    const claimed: Waiting[] = [];
    for (let turn = 20; queue.length > 0; turn++) {
      const next = fairOrder(queue, served)[0] as Waiting;
      served.set(next.seller, turn);
      queue = queue.filter((x) => x !== next);
      claimed.push(next);
    }
    const at = b.map((x) => claimed.indexOf(x));
    expect(at[0]).toBeLessThanOrEqual(1);
    expect((at[1] as number) - (at[0] as number)).toBeLessThanOrEqual(2);
    expect((at[2] as number) - (at[1] as number)).toBeLessThanOrEqual(2);
    expect(claimed).toHaveLength(33);
  });

  it('recomputing after each claim gives the same sequence as one snapshot', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 50; trial++) {
      const queue: Waiting[] = [];
      const sellers = 1 + rnd(5);
      for (let s = 0; s < sellers; s++) {
        const seller = String.fromCharCode(65 + s);
        for (let o = 1; o <= 1 + rnd(4); o++) {
          const n = 1 + rnd(5);
          const at = rnd(100);
          for (let i = 1 + rnd(2); i <= n; i++) queue.push(w(`${seller}${o}.${i}@${at}`));
        }
      }
      const served = new Map<string, number>();
      const snapshot = ids(fairOrder(queue, served));
      let rest = [...queue];
      const stepwise: string[] = [];
      for (let turn = 0; rest.length > 0; turn++) {
        const next = fairOrder(rest, served)[0] as Waiting;
        served.set(next.seller, turn);
        rest = rest.filter((x) => x !== next);
        stepwise.push(next.id);
      }
      expect(stepwise).toEqual(snapshot);
    }
  });

  it('does not mutate its input and is deterministic under permutation', () => {
    const queue = [...orders('A', 3, 3, 0), ...orders('B', 2, 2, 1)];
    const copy = [...queue];
    const once = ids(fairOrder(queue));
    expect(queue).toEqual(copy);
    expect(ids(fairOrder([...queue].reverse()))).toEqual(once);
  });
});
