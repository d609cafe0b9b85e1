import { describe, expect, it } from 'vitest';
import { logFormat, serviceLineFormatter } from './pretty';

const line = (o: Record<string, unknown>) =>
  JSON.stringify({ level: 30, time: '2026-12-01T07:00:00.000Z', service: 'billing', pid: 1, hostname: 'h', ...o });

describe('sandbox log lines', () => {
  it('turns each JSON event into one line with time, level, service, message and fields', () => {
    const f = serviceLineFormatter('pretty', { colorize: false });
    const out = f('billing', line({ msg: 'credits held', orderId: 'o1', amount: 3 }));
    expect(out.split('\n')).toHaveLength(1);
    expect(out).toMatch(/INFO.*billing\s+credits held.*"orderId":"o1".*"amount":3/);
    expect(out).not.toContain('hostname');
  });

  it('keeps an error on the same line, as its type and message', () => {
    const f = serviceLineFormatter('pretty', { colorize: false });
    const out = f('notifier', line({ level: 50, service: 'notifier', msg: 'send failed', err: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x (y.js:1:1)' } }));
    expect(out.split('\n')).toHaveLength(1);
    expect(out).toMatch(/ERROR.*notifier\s+send failed.*TypeError: boom/);
  });

  it('colours when asked', () => {
    const out = serviceLineFormatter('pretty', { colorize: true })('billing', line({ msg: 'x' }));
    expect(out).toContain('\u001b[');
  });

  it('shows lines that are not events as they came, under the service name', () => {
    const f = serviceLineFormatter('pretty', { colorize: false });
    expect(f('notifier', 'node:internal crash')).toBe('notifier       node:internal crash');
    expect(f('notifier', '{not json')).toBe('notifier       {not json');
  });

  it('passes the JSON through with LOG_FORMAT=json, and refuses an unknown format', () => {
    const raw = line({ msg: 'x' });
    expect(serviceLineFormatter(logFormat('json'))('billing', raw)).toBe(raw);
    expect(logFormat(undefined)).toBe('pretty');
    expect(() => logFormat('yaml')).toThrow(/LOG_FORMAT must be pretty or json/);
  });
});
