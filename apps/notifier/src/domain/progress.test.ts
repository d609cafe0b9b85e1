import { describe, expect, it } from 'vitest';
import { cancellable, keepWatching, progressOf, worthEditing, type Progress } from './progress';

const q = (ahead: number, waitSeconds: number): Progress => ({ kind: 'queued', ahead, waitSeconds });

describe('progress of an order', () => {
  it('from the estimate: queued, started, or unknown', () => {
    expect(progressOf(false, { position: 4, waitSeconds: 300, lastWaitSeconds: 400, waiting: 3 })).toEqual(q(4, 300));
    expect(progressOf(false, { position: 0, waitSeconds: null, lastWaitSeconds: null, waiting: 3 })).toEqual({ kind: 'unknown', started: false });
    expect(progressOf(false, null)).toEqual({ kind: 'unknown', started: false });
    expect(progressOf(true, { position: 2, waitSeconds: 100, lastWaitSeconds: 500, waiting: 2 })).toEqual({ kind: 'started', waiting: 2, lastWaitSeconds: 500 });
    expect(progressOf(true, { position: 0, waitSeconds: null, lastWaitSeconds: null, waiting: 0 })).toEqual({ kind: 'started', waiting: 0, lastWaitSeconds: null });
  });

  it('is watched while the wait is over two minutes', () => {
    expect(keepWatching(q(10, 121))).toBe(true);
    expect(keepWatching(q(1, 120))).toBe(false);
    expect(keepWatching({ kind: 'started', waiting: 0, lastWaitSeconds: null })).toBe(false);
    expect(keepWatching({ kind: 'started', waiting: 2, lastWaitSeconds: 900 })).toBe(true);
    expect(keepWatching({ kind: 'unknown', started: false })).toBe(true);
  });

  it('is worth an edit on a new state or a noticeable move, not on a small one', () => {
    expect(worthEditing(null, q(3, 300))).toBe(true);
    expect(worthEditing(q(50, 1500), q(50, 1500))).toBe(false);
    expect(worthEditing(q(50, 1500), q(47, 1490))).toBe(false);
    expect(worthEditing(q(50, 1500), q(30, 1500))).toBe(true);
    expect(worthEditing(q(50, 1500), q(50, 1000))).toBe(true);
    expect(worthEditing(q(2, 300), q(1, 300))).toBe(true);
    expect(worthEditing(q(2, 300), { kind: 'started', waiting: 2, lastWaitSeconds: 300 })).toBe(true);
    expect(worthEditing({ kind: 'started', waiting: 2, lastWaitSeconds: 300 }, { kind: 'started', waiting: 1, lastWaitSeconds: 300 })).toBe(true);
    expect(worthEditing({ kind: 'unknown', started: false }, { kind: 'unknown', started: false })).toBe(false);
  });

  it('keeps the cancel button while videos may be queued', () => {
    expect(cancellable(q(1, 1))).toBe(true);
    expect(cancellable({ kind: 'started', waiting: 1, lastWaitSeconds: 60 })).toBe(true);
    expect(cancellable({ kind: 'started', waiting: 0, lastWaitSeconds: null })).toBe(false);
  });
});
