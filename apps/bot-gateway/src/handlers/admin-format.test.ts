import { describe, expect, it } from 'vitest';
import { rpc, type RpcResponse } from '@neurocards/contracts';
import { t } from '../i18n';
import { formatKeysReport, formatKeysStats, formatTime } from './admin-format';

/** A sample `kie.keys.stats` reply: one healthy account, one out of credits, a withdrawn model. */
const sample: RpcResponse<'kie.keys.stats'> = {
  queueDepth: 4,
  keys: [
    { name: 'main', account: 'acc1', state: 'ok', inFlight: 2, until: null, reason: null },
    {
      name: 'spare',
      account: 'acc1',
      state: 'cooling',
      inFlight: 0,
      until: '2026-11-30T22:10:05.000Z',
      reason: '433 sub-key usage limit exceeded',
    },
    {
      name: 'b1',
      account: 'acc2',
      state: 'blocked',
      inFlight: 0,
      until: '2026-12-01T21:00:00.000Z',
      reason: '402 insufficient credits',
    },
  ],
  accounts: [
    {
      name: 'acc1',
      state: 'ok',
      until: null,
      budgetUsed: 3,
      budgetLimit: 20,
      inFlight: 2,
      maxInFlight: 100,
      credits: 512.5,
      creditsCheckedAt: '2026-11-30T21:40:00.000Z',
    },
    {
      name: 'acc2',
      state: 'blocked',
      until: '2026-12-01T21:00:00.000Z',
      budgetUsed: 0,
      budgetLimit: 20,
      inFlight: 0,
      maxInFlight: 100,
      credits: null,
      creditsCheckedAt: null,
    },
  ],
  models: [
    { id: 'kling-3.0/video', offered: true, disabledBy: null, unavailableOn: [] },
    { id: 'veo3_fast', offered: false, disabledBy: 'admin', unavailableOn: [] },
    { id: 'sora-2-image-to-video', offered: false, disabledBy: 'kie', unavailableOn: ['acc1', 'acc2'] },
  ],
};

describe('/keys', () => {
  it('the sample is a valid kie.keys.stats reply', () => {
    expect(rpc['kie.keys.stats'].response.safeParse(sample).success).toBe(true);
  });

  it('lists each account with its keys, budget, running tasks, blocks and credits, then the models', () => {
    expect(formatKeysReport(t, 'en', sample)).toBe(
      [
        'KIE accounts (queue: 4):',
        '• acc1: ok; submitted 3/20 in the window, running 2/100; KIE credits 512.5 (checked 2026-11-30 21:40 UTC)',
        '   – key main: ok, running 2',
        '   – key spare: cooling down until 2026-11-30 22:10 UTC (433 sub-key usage limit exceeded), running 0',
        '• acc2: blocked until 2026-12-01 21:00 UTC; submitted 0/20 in the window, running 0/100; KIE credits not checked yet',
        '   – key b1: blocked until 2026-12-01 21:00 UTC (402 insufficient credits), running 0',
        '',
        'Models:',
        '• kling-3.0/video: offered',
        '• veo3_fast: off (turned off by an admin)',
        '• sora-2-image-to-video: not offered (KIE refused it everywhere) — unavailable on: acc1, acc2',
      ].join('\n'),
    );
  });

  it('is in Russian for Russian admins, and says when the dispatcher does not answer', () => {
    const ru = formatKeysReport(t, 'ru', sample);
    expect(ru).toContain('ключ spare: остывает до 2026-11-30 22:10 UTC');
    expect(ru).toContain('veo3_fast: выключена администратором');
    expect(formatKeysReport(t, 'en', null)).toBe(t('en', 'adminStatsKieDown'));
  });
});

describe('/stats', () => {
  it('adds each account’s KIE credits to the key states', () => {
    const text = formatKeysStats(t, 'en', sample);
    expect(text).toContain('Queue: 4');
    expect(text).toContain('• spare: cooling, in flight 0 (until 2026-11-30T22:10:05.000Z)');
    expect(text).toContain('KIE credits:\n• acc1: KIE credits 512.5 (checked 2026-11-30 21:40 UTC)\n• acc2: KIE credits not checked yet');
  });
});

describe('formatTime', () => {
  it('shortens ISO times to the minute and leaves anything else alone', () => {
    expect(formatTime('2026-11-30T22:10:59.999+00:00')).toBe('2026-11-30 22:10 UTC');
    expect(formatTime('soon')).toBe('soon');
  });
});
