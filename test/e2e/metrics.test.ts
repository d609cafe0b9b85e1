import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { eventually, metricSample } from '@neurocards/platform/testing';
import { SERVICES, type ServiceName } from '@neurocards/launcher';
import { CATALOGUE, families, familyOf, monitoringNames, readCatalogue, WITH_OUTBOX } from '../src/metrics-catalogue';
import { ADMIN_ID, startStack, type Stack } from '../src/stack';
import { grantCredits, orderVideos } from '../src/seller';
import { eventsOf } from '../src/events';

/**
 * Issue 12, "done when": after an e2e order (and a failed one), `/metrics` of all five
 * services carries every metric of the catalogue — each from the services the catalogue
 * names — and every `neurocards_*` name the alerts and the dashboard use.
 */

describe('metrics after an order', () => {
  let stack: Stack;
  const scraped = {} as Record<ServiceName, string>;
  const scrape = async () => {
    for (const s of SERVICES) {
      const res = await request(`http://127.0.0.1:${stack.ports[s]}/metrics`);
      expect(res.statusCode).toBe(200);
      scraped[s] = await res.body.text();
    }
    return scraped;
  };
  const value = (s: ServiceName, name: string, labels: Record<string, string> = {}) => metricSample(scraped[s], name, labels) ?? 0;

  beforeAll(async () => {
    stack = await startStack({ kieLatencyMs: 1000 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('every metric of the catalogue and of the alerts and dashboards is on /metrics, with the order counted', async () => {
    const happy = { userId: 7_600_001, languageCode: 'en' };
    const refused = { userId: 7_600_002, languageCode: 'ru' };
    await grantCredits(stack, ADMIN_ID, happy.userId, 3);
    await grantCredits(stack, ADMIN_ID, refused.userId, 1);
    await orderVideos(stack, happy, 1);
    // The KIE simulator refuses prompts with its marker as a content-policy failure.
    await orderVideos(stack, refused, 1, 'Покажи товар рядом с надписью FORBIDDEN');
    const orderOf = (userId: number) =>
      eventually(() => eventsOf(stack.nc, 'orders.order.placed.v1').then((e) => e.find((o) => o.data.userId === userId)), 30_000);
    const completed = async (userId: number) => {
      const { orderId } = (await orderOf(userId)).data;
      return eventually(
        () => eventsOf(stack.nc, 'jobs.order.completed.v1').then((e) => e.find((c) => c.data.orderId === orderId)),
        120_000,
        500,
      );
    };
    expect((await completed(happy.userId)).data).toMatchObject({ delivered: 1, failed: 0 });
    expect((await completed(refused.userId)).data).toMatchObject({ delivered: 0, failed: 1 });

    // The business counts, once the events behind them are consumed everywhere (gauges read
    // at scrape time may need a second scrape when the first one's source was slow).
    await eventually(
      async () => {
        await scrape();
        return (
          value('orchestrator', 'neurocards_orders_total', { outcome: 'completed' }) >= 1 &&
          value('orchestrator', 'neurocards_orders_total', { outcome: 'failed' }) >= 1 &&
          value('billing', 'neurocards_refunds_total', { class: 'content' }) >= 1 &&
          value('billing', 'neurocards_ledger_credits', { kind: 'refunded' }) >= 1 &&
          SERVICES.every((s) => metricSample(scraped[s], 'neurocards_dead_messages') !== undefined) &&
          metricSample(scraped['kie-dispatcher'], 'neurocards_kie_account_credits') !== undefined
        );
      },
      60_000,
      500,
    );

    const catalogue = readCatalogue(CATALOGUE);
    expect(catalogue.length, `no metrics read from ${CATALOGUE}`).toBeGreaterThanOrEqual(20);
    const missing: string[] = [];
    for (const m of catalogue) {
      if (m.services.length === 0) missing.push(`${m.name}: the catalogue names no service it could find`);
      for (const s of m.services) {
        const type = families(scraped[s]).get(m.name);
        if (type !== m.type) missing.push(`${m.name} (${m.type}) on ${s}: ${type ?? 'absent'}`);
      }
    }
    expect(missing).toEqual([]);

    const unknown = monitoringNames().filter((n) => !SERVICES.some((s) => familyOf(n, families(scraped[s]))));
    expect(unknown, 'names the alerts or dashboards use that no service exports').toEqual([]);

    // The order shows in the numbers that mean something.
    expect(value('orchestrator', 'neurocards_videos_total', { outcome: 'delivered', class: 'none' })).toBeGreaterThanOrEqual(1);
    expect(value('orchestrator', 'neurocards_videos_total', { outcome: 'failed', class: 'content' })).toBeGreaterThanOrEqual(1);
    expect(value('orchestrator', 'neurocards_first_video_wait_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value('billing', 'neurocards_refunded_credits_total', { class: 'content' })).toBeGreaterThanOrEqual(1);
    expect(value('billing', 'neurocards_ledger_credits', { kind: 'granted' })).toBeGreaterThanOrEqual(4);
    const kieLines = scraped['kie-dispatcher'].split('\n').filter((l) => l.startsWith('neurocards_kie_responses_total'));
    // Both videos reached KIE: the default model's create endpoint (Market or Veo) answered 200.
    const created = ['createTask', 'veo'].reduce(
      (n, endpoint) => n + value('kie-dispatcher', 'neurocards_kie_responses_total', { endpoint, code: '200' }),
      0,
    );
    expect(created, kieLines.join('\n')).toBeGreaterThanOrEqual(2);
    expect(value('kie-dispatcher', 'neurocards_kie_responses_total', { endpoint: 'upload', code: '200' }), kieLines.join('\n')).toBeGreaterThanOrEqual(1);
    expect(value('kie-dispatcher', 'neurocards_kie_key_state', { account: 'main', key: 'main', state: 'ok' })).toBe(1);
    expect(value('kie-dispatcher', 'neurocards_kie_keys_available')).toBeGreaterThanOrEqual(1);
    expect(value('notifier', 'neurocards_telegram_send_seconds_count', { method: 'sendVideo' })).toBeGreaterThanOrEqual(1);
    expect(value('bot-gateway', 'neurocards_telegram_send_seconds_count', { method: 'sendMessage' })).toBeGreaterThanOrEqual(1);
    // Every consumer of the topology reports its pending count from JetStream.
    expect(metricSample(scraped.orchestrator, 'neurocards_consumer_pending', { consumer: 'orchestrator-video-sent' })).toBeDefined();
    expect(metricSample(scraped.billing, 'neurocards_consumer_ack_pending', { consumer: 'billing-video-failed' })).toBeDefined();
    for (const s of WITH_OUTBOX) expect(metricSample(scraped[s], 'neurocards_outbox_pending')).toBeDefined();
  });
});
