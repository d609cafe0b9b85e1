import { describe, expect, it } from 'vitest';
import { adminGrantId, parseAdminCommand, parseCommand, welcomeGrantId } from './commands';

describe('parseCommand', () => {
  it('parses names and arguments', () => {
    expect(parseCommand('/grant 42 10', 'bot')).toEqual({ name: 'grant', args: ['42', '10'] });
    expect(parseCommand('/START', 'bot')).toEqual({ name: 'start', args: [] });
    expect(parseCommand('/help@NeuroBot', 'neurobot')).toEqual({ name: 'help', args: [] });
  });
  it('ignores commands for other bots and non-commands', () => {
    expect(parseCommand('/help@OtherBot', 'neurobot')).toBeNull();
    expect(parseCommand('hello', 'bot')).toBeNull();
    expect(parseCommand('/', 'bot')).toBeNull();
  });
});

describe('parseAdminCommand', () => {
  const p = (text: string) => parseAdminCommand(parseCommand(text, 'bot')!);
  it('parses /grant, /balance, /stats', () => {
    expect(p('/grant 42 10')).toEqual({ type: 'grant', userId: 42, amount: 10 });
    expect(p('/balance 42')).toEqual({ type: 'balance', userId: 42 });
    expect(p('/stats')).toEqual({ type: 'stats' });
  });
  it.each([
    '/grant',
    '/grant 42',
    '/grant x 10',
    '/grant 42 0',
    '/grant 42 -1',
    '/grant 42 1.5',
    '/grant 42 1000001',
  ])('%s shows the usage', (text) => expect(p(text)).toEqual({ type: 'usage', command: 'grant' }));
  it('plain /balance is not an admin command (the seller\'s own balance)', () => expect(p('/balance')).toBeNull());
  it.each(['/balance abc', '/balance 1 2'])('%s shows the usage', (text) =>
    expect(p(text)).toEqual({ type: 'usage', command: 'balance' }),
  );
  it('parses /keys, /unblock, /model', () => {
    expect(p('/keys')).toEqual({ type: 'keys' });
    expect(p('/unblock acc1')).toEqual({ type: 'unblock', target: 'acc1' });
    expect(p('/unblock acc1/main')).toEqual({ type: 'unblock', target: 'acc1/main' });
    expect(p('/model on kling-3.0/video')).toEqual({ type: 'model', model: 'kling-3.0/video', enabled: true });
    expect(p('/model off veo3_fast')).toEqual({ type: 'model', model: 'veo3_fast', enabled: false });
  });
  it.each(['/unblock', '/unblock a b', '/unblock bad:name', `/unblock ${'k'.repeat(65)}`])('%s shows the usage', (text) =>
    expect(p(text)).toEqual({ type: 'usage', command: 'unblock' }),
  );
  it.each(['/model', '/model on', '/model maybe x', '/model off', '/model on a b', '/model on -bad', '/model ON x'])(
    '%s shows the usage',
    (text) => expect(p(text)).toEqual({ type: 'usage', command: 'model' }),
  );
  it('is null for other commands', () => expect(p('/start')).toBeNull());
  it('derives stable grant ids', () => {
    expect(adminGrantId(1, 99)).toBe(adminGrantId(1, 99));
    expect(adminGrantId(1, 99)).not.toBe(adminGrantId(1, 100));
    expect(welcomeGrantId(5).length).toBeGreaterThanOrEqual(8);
  });
});

describe('/refund', () => {
  const refund = (text: string) => parseAdminCommand(parseCommand(text, 'neuro_bot')!);
  it('takes exactly one charge id', () => {
    expect(refund('/refund stxAbC_123-x.y')).toEqual({ type: 'refund', chargeId: 'stxAbC_123-x.y' });
    expect(refund('/refund@neuro_bot stx1')).toEqual({ type: 'refund', chargeId: 'stx1' });
  });
  it.each(['/refund', '/refund a b', `/refund ${'x'.repeat(257)}`, '/refund ÿ'])('answers usage for %j', (text) => {
    expect(refund(text)).toEqual({ type: 'usage', command: 'refund' });
  });
});
