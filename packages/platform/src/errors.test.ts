import { describe, expect, it } from 'vitest';
import { isTransient, PermanentError, TransientError } from './errors';

describe('isTransient', () => {
  it.each([
    ['TransientError', new TransientError('later')],
    ['postgres connection refused', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
    ['porsager closed connection', Object.assign(new Error('closed'), { code: 'CONNECTION_CLOSED' })],
    ['admin shutdown 57P01', Object.assign(new Error('terminating'), { code: '57P01' })],
    ['serialization failure', Object.assign(new Error('could not serialize'), { code: '40001' })],
    ['nats timeout', Object.assign(new Error('timeout'), { name: 'TimeoutError' })],
    ['wrapped cause', new Error('outer', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })],
  ])('%s is transient', (_name, err) => expect(isTransient(err)).toBe(true));

  it.each([
    ['PermanentError', new PermanentError('no')],
    ['unique violation', Object.assign(new Error('dup'), { code: '23505' })],
    ['plain bug', new TypeError('x is undefined')],
    ['not an error', 'boom'],
  ])('%s is not transient', (_name, err) => expect(isTransient(err)).toBe(false));
});
