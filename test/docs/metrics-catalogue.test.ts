import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, familyOf, families, monitoringNames, readCatalogue } from '../src/metrics-catalogue';

/** The parsers behind e2e/metrics.test.ts: the catalogue table and the monitoring queries. */
describe('metrics catalogue', () => {
  it('reads every metric of the catalogue with its type and the services that export it', () => {
    const entries = readCatalogue(CATALOGUE);
    expect(entries.length).toBeGreaterThanOrEqual(21);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('neurocards_telegram_send_seconds')).toEqual({
      name: 'neurocards_telegram_send_seconds',
      type: 'histogram',
      services: ['notifier', 'bot-gateway'],
    });
    expect(byName.get('neurocards_outbox_lag_seconds')?.services).toEqual(['billing', 'orchestrator', 'kie-dispatcher', 'notifier']);
    expect(byName.get('neurocards_dead_messages')?.services).toHaveLength(5);
    expect(byName.get('neurocards_kie_key_state')).toMatchObject({ type: 'gauge', services: ['kie-dispatcher'] });
    for (const e of entries) expect(e.services.length, e.name).toBeGreaterThan(0);
  });

  it('takes the metric names from the alerts\' and dashboards\' queries, not from rule or panel names', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'monitoring-'));
    try {
      mkdirSync(path.join(dir, 'dashboards'));
      writeFileSync(
        path.join(dir, 'rules.yaml'),
        [
          'groups:',
          '  - name: neurocards_alerts',
          '    rules:',
          '      - alert: NeurocardsAllKeysBlocked',
          '        expr: neurocards_kie_keys_available == 0',
          '      - alert: NeurocardsWaitHigh',
          '        expr: |',
          '          histogram_quantile(0.95,',
          '            sum by (le) (rate(neurocards_first_video_wait_seconds_bucket[15m]))) > 900',
          '        labels: { severity: neurocards_page }',
        ].join('\n'),
      );
      writeFileSync(
        path.join(dir, 'dashboards', 'ops.json'),
        JSON.stringify({
          title: 'neurocards_ops',
          panels: [{ targets: [{ expr: 'sum(neurocards_queue_depth)' }] }],
          templating: { list: [{ query: 'label_values(neurocards_kie_key_state, account)' }] },
        }),
      );
      expect(monitoringNames(dir)).toEqual([
        'neurocards_first_video_wait_seconds_bucket',
        'neurocards_kie_key_state',
        'neurocards_kie_keys_available',
        'neurocards_queue_depth',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves a histogram series to its family', () => {
    const fams = families('# TYPE neurocards_x_seconds histogram\n# TYPE neurocards_y_total counter\n');
    expect(familyOf('neurocards_x_seconds_bucket', fams)).toBe('neurocards_x_seconds');
    expect(familyOf('neurocards_y_total', fams)).toBe('neurocards_y_total');
    expect(familyOf('neurocards_y_total_count', fams)).toBeUndefined();
  });
});
