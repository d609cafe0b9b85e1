import { describe, expect, it } from 'vitest';
import { nextPollDelayMs, withJitter } from './poll-schedule';
import { interpretRecord, parseResultUrls, recordEnvelope } from './record';

const rec = (over: Record<string, unknown>) => ({ taskId: 't1', state: 'generating', ...over });

describe('interpretRecord', () => {
  it('waits while data is null or the task is not finished', () => {
    expect(interpretRecord(null)).toEqual({ kind: 'pending' });
    for (const state of ['waiting', 'queuing', 'generating', 'something-new']) {
      expect(interpretRecord(rec({ state }))).toEqual({ kind: 'pending' });
    }
  });

  it('reads resultUrls from the resultJson string', () => {
    const r = rec({
      state: 'success',
      resultJson: JSON.stringify({ resultUrls: ['https://cdn.example/v.mp4'] }),
    });
    expect(interpretRecord(r)).toEqual({ kind: 'success', urls: ['https://cdn.example/v.mp4'] });
  });

  it('turns a success without URLs into a task failure', () => {
    for (const resultJson of [null, '', '{', '{"resultUrls":[]}', '{"resultUrls":["not a url"]}']) {
      expect(interpretRecord(rec({ state: 'success', resultJson })).kind).toBe('failure');
    }
  });

  it('passes failCode and failMsg of a failed task on', () => {
    expect(interpretRecord(rec({ state: 'fail', failCode: 400, failMsg: 'content policy' }))).toEqual({
      kind: 'failure',
      failure: { kind: 'task_failed', failCode: '400', failMsg: 'content policy' },
    });
    expect(interpretRecord(rec({ state: 'fail', failCode: '', failMsg: '' }))).toEqual({
      kind: 'failure',
      failure: { kind: 'task_failed', failCode: null, failMsg: null },
    });
  });

  it('accepts the documented envelope with data null', () => {
    expect(recordEnvelope.parse({ code: 200, msg: 'success', data: null }).data).toBeNull();
    expect(
      parseResultUrls('{"resultUrls":["https://a.example/1.mp4","https://a.example/2.mp4"]}'),
    ).toHaveLength(2);
  });
});

describe('poll schedule', () => {
  it('polls every few seconds at first, then every 15–30 s', () => {
    expect(nextPollDelayMs(0)).toBeLessThanOrEqual(5_000);
    expect(nextPollDelayMs(60_000)).toBeLessThanOrEqual(5_000);
    expect(nextPollDelayMs(3 * 60_000)).toBe(15_000);
    expect(nextPollDelayMs(20 * 60_000)).toBe(30_000);
    const delays = [0, 10e3, 60e3, 200e3, 400e3, 2e6].map(nextPollDelayMs);
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
  });

  it('jitters within ±10 %', () => {
    expect(withJitter(10_000, () => 0)).toBe(9_000);
    expect(withJitter(10_000, () => 1)).toBe(11_000);
  });
});
